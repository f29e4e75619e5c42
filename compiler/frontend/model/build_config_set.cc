// buildConfigSet(): drops schema-invalid and superseded objects and dispatches each remaining
// object to its kind's builder; configOrderLess(): Istio's config order (SEMANTICS 4.1).
#include <map>
#include <tuple>

#include "frontend/model/build_internal.h"

namespace meshc::model {
namespace {

using frontend::Resource;
using frontend::ResourceKind;

int digits(std::string_view s, size_t pos, size_t count, bool* ok) {
  int v = 0;
  if (pos + count > s.size()) {
    *ok = false;
    return 0;
  }
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      *ok = false;
      return 0;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Instant {
  int64_t seconds = INT64_MIN;  // INT64_MIN = the zero time (empty or unreadable timestamp)
  int32_t nanos = 0;
  friend auto operator<=>(const Instant&, const Instant&) = default;
};

// RFC 3339 ("2024-01-02T03:04:05Z", "...05.5+02:00"), compared as instants like Go's time.Time,
// so offsets and fractions order correctly. Anything else reads as the zero time.
Instant parseTimestamp(std::string_view s) {
  bool ok = true;
  int year = digits(s, 0, 4, &ok);
  int month = digits(s, 5, 2, &ok);
  int day = digits(s, 8, 2, &ok);
  int hour = digits(s, 11, 2, &ok);
  int minute = digits(s, 14, 2, &ok);
  int second = digits(s, 17, 2, &ok);
  if (!ok || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':' || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return Instant{};
  }
  size_t pos = 19;
  int32_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int32_t scale = 100000000;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      nanos += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return Instant{};
    }
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    int oh = digits(s, pos + 1, 2, &ok);
    int om = digits(s, pos + 4, 2, &ok);
    if (!ok || s[pos + 3] != ':') {
      return Instant{};
    }
    offset = sign * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return Instant{};
  }
  if (pos != s.size()) {
    return Instant{};
  }
  Instant t;
  t.seconds =
      daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      hour * 3600 + minute * 60 + second - offset;
  t.nanos = nanos;
  return t;
}

}  // namespace

bool configOrderLess(const ObjectMeta& a, const ObjectMeta& b) {
  Instant ta = parseTimestamp(a.creation_timestamp);
  Instant tb = parseTimestamp(b.creation_timestamp);
  return std::tie(ta, a.name, a.name_space, a.ordinal) <
         std::tie(tb, b.name, b.name_space, b.ordinal);
}

ConfigSet buildConfigSet(const std::vector<frontend::Resource>& resources,
                         const frontend::MeshConfig& mesh) {
  ConfigSet set;
  set.mesh = mesh;
  // Objects the schema rejected never reach the model (an API server would refuse them, so an
  // earlier valid copy stays in place). Among the rest, the last object with a given kind,
  // namespace and name is what `kubectl apply` leaves behind.
  std::map<std::tuple<ResourceKind, std::string_view, std::string_view>, size_t> last;
  for (size_t i = 0; i < resources.size(); ++i) {
    const Resource& r = resources[i];
    if (r.schema_valid) {
      last[{r.kind, r.name_space, r.name}] = i;
    }
  }
  for (size_t i = 0; i < resources.size(); ++i) {
    const Resource& r = resources[i];
    if (!r.schema_valid || last[{r.kind, r.name_space, r.name}] != i) {
      continue;
    }
    switch (r.kind) {
      case ResourceKind::kVirtualService:
        set.virtual_services.push_back(detail::buildVirtualService(r, mesh));
        break;
      case ResourceKind::kGateway:
        set.gateways.push_back(detail::buildGateway(r));
        break;
      case ResourceKind::kSidecar:
        set.sidecars.push_back(detail::buildSidecar(r));
        break;
      case ResourceKind::kDestinationRule:
        set.destination_rules.push_back(detail::buildDestinationRule(r, mesh));
        break;
      case ResourceKind::kServiceEntry:
        set.service_entries.push_back(detail::buildServiceEntry(r, mesh));
        break;
      case ResourceKind::kService:
        set.services.push_back(detail::buildKubernetesService(r, mesh));
        break;
      case ResourceKind::kPod:
      case ResourceKind::kDeployment:
      case ResourceKind::kStatefulSet:
      case ResourceKind::kDaemonSet:
      case ResourceKind::kReplicaSet:
      case ResourceKind::kJob:
        set.workloads.push_back(detail::buildWorkload(r));
        break;
      case ResourceKind::kEndpointSlice:
        set.endpoint_slices.push_back(detail::buildEndpointSlice(r));
        break;
      case ResourceKind::kSecret:
        set.secrets.push_back(detail::buildSecret(r));  // gateway credentials
        break;
      case ResourceKind::kRequestAuthentication:
      case ResourceKind::kNamespace:
        break;  // no routing effect
    }
  }
  return set;
}

}  // namespace meshc::model
