// DestinationRule load-balancer settings: consistent hash, maglev, locality and zone-aware
// LB, warmup (A.5 D15-D27). Entry point: checkLoadBalancer().
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/quote.h"
#include "frontend/validation/validate_common.h"
#include "frontend/validation/validate_proto_fields.h"
#include "frontend/validation/validate_traffic_policy.h"

namespace meshc::frontend::validation {

namespace {

constexpr uint64_t kMaglevTableSizeLimit = 5000011;

bool isTopologyLabel(std::string_view label) {
  return label == "topology.kubernetes.io/region" || label == "topology.kubernetes.io/zone" ||
         label == "topology.istio.io/subzone";
}

size_t seqSize(const Node* n) { return (n != nullptr && n->isSeq()) ? n->size() : 0; }

std::string_view scalarOrEmpty(const Node* n) {
  return (n != nullptr && n->isScalar() && !n->isNull()) ? n->text() : std::string_view();
}

uint64_t mulMod(uint64_t a, uint64_t b, uint64_t m) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(a) * b % m);
}

uint64_t powMod(uint64_t base, uint64_t exp, uint64_t m) {
  uint64_t result = 1;
  base %= m;
  while (exp > 0) {
    if ((exp & 1) != 0) {
      result = mulMod(result, base, m);
    }
    base = mulMod(base, base, m);
    exp >>= 1;
  }
  return result;
}

// Deterministic Miller-Rabin for 64-bit odd x > 3 (these bases cover every 64-bit integer).
bool millerRabin(uint64_t x) {
  uint64_t d = x - 1;
  int r = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    ++r;
  }
  for (uint64_t a : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    if (x % a == 0) {
      return x == a;
    }
    uint64_t y = powMod(a, d, x);
    if (y == 1 || y == x - 1) {
      continue;
    }
    bool composite = true;
    for (int i = 1; i < r && composite; ++i) {
      y = mulMod(y, y, x);
      composite = y != x - 1;
    }
    if (composite) {
      return false;
    }
  }
  return true;
}

// --- Locality load balancing (agent.ValidateLocalityLbSetting) --------------------------------

struct Locality {
  std::string_view text;
  const Node* at;
};

// agent.validateLocalities: the first problem in a list of localities, or "" when valid. The
// nested maps mirror Istio's region -> zone -> subzone bookkeeping, where "*" marks "all".
std::string checkLocalities(const std::vector<Locality>& localities, const Node** at) {
  std::map<std::string, std::map<std::string, std::set<std::string>>, std::less<>> seen;
  for (const Locality& loc : localities) {
    *at = loc.at;
    std::string_view s = loc.text;
    size_t stars = static_cast<size_t>(std::count(s.begin(), s.end(), '*'));
    if (stars > 0 && (stars > 1 || !s.ends_with('*'))) {
      return "locality " + quote(s) + ": at most one '*' wildcard is allowed, and only at the end";
    }
    std::string overlap = "locality " + quote(s) + " overlaps with a locality listed before it";
    if (seen.count("*") != 0) {
      return overlap;
    }
    // getLocalityParam: SplitN(locality, "/", 3); any empty segment is an error.
    std::vector<std::string> parts;
    size_t start = 0;
    while (parts.size() < 2) {
      size_t slash = s.find('/', start);
      if (slash == std::string_view::npos) {
        break;
      }
      parts.emplace_back(s.substr(start, slash - start));
      start = slash + 1;
    }
    parts.emplace_back(s.substr(start));
    for (const std::string& p : parts) {
      if (p.empty()) {
        return "locality " + quote(s) + " must not contain an empty region, zone or subzone";
      }
    }
    const std::string& region = parts[0];
    auto region_it = seen.find(region);
    if (parts.size() == 1) {
      if (region_it != seen.end()) {
        return overlap;
      }
      seen[region]["*"].insert("*");
      continue;
    }
    const std::string& zone = parts[1];
    if (parts.size() == 2) {
      if (region_it != seen.end() &&
          (region_it->second.count("*") != 0 || region_it->second.count(zone) != 0)) {
        return overlap;
      }
      seen[region][zone].insert("*");
      continue;
    }
    const std::string& subzone = parts[2];
    if (region_it != seen.end()) {
      if (region_it->second.count("*") != 0) {
        return overlap;
      }
      auto zone_it = region_it->second.find(zone);
      if (zone_it != region_it->second.end() &&
          (zone_it->second.count("*") != 0 || zone_it->second.count(subzone) != 0)) {
        return overlap;
      }
    }
    seen[region][zone].insert(subzone);
  }
  return "";
}

void checkFailoverEntries(const Node* failover, std::string_view what, std::string_view id,
                          const PolicyContext& ctx) {
  if (failover == nullptr || !failover->isSeq()) {
    return;
  }
  for (const Node* f : failover->items()) {
    std::string_view from = stringField(f, "from");
    std::string_view to = stringField(f, "to");
    const Node* at = isSet(f) ? f : failover;
    if (from == to) {
      ctx.error(id, at,
                std::string(what) + " failover from " + quote(from) + " to " + quote(to) +
                    " must name two different regions");
    }
    if (from.find('/') != std::string_view::npos || to.find('/') != std::string_view::npos) {
      ctx.error(id, at,
                std::string(what) + " failover must name regions only; found " + quote(from) +
                    " -> " + quote(to) + " with a zone or subzone");
    }
    if (from.find('*') != std::string_view::npos || to.find('*') != std::string_view::npos) {
      ctx.error(id, at,
                std::string(what) + " failover regions must not contain a '*' wildcard; found " +
                    quote(from) + " -> " + quote(to));
    }
  }
}

void checkLocalityLbSetting(const Node* lb, const Node* outlier, const PolicyContext& ctx) {
  if (lb == nullptr || !lb->isMap()) {
    return;
  }
  const Node* distribute = lb->get("distribute");
  const Node* failover = lb->get("failover");
  const Node* priority = lb->get("failoverPriority");
  // The first three checks return on failure, as Istio's do.
  if (seqSize(distribute) > 0 && seqSize(failover) > 0) {
    ctx.rep.emitAtKey("dr-locality-distribute-and-failover", kIstSchemaError, Severity::kError,
                      lb->entry("failover"),
                      "localityLbSetting cannot set both distribute and failover; keep one");
    return;
  }
  if (seqSize(failover) > 0 && seqSize(priority) > 0) {
    for (const Node* label : priority->items()) {
      if (isTopologyLabel(scalarOrEmpty(label))) {
        ctx.error("dr-locality-failover-topology-priority", label,
                  "localityLbSetting cannot combine failover with topology label " +
                      quote(label->text()) + " in failoverPriority; drop one of them");
        return;
      }
    }
  }
  std::vector<Locality> froms;
  if (distribute != nullptr && distribute->isSeq()) {
    for (const Node* d : distribute->items()) {
      const Node* from = child(d, "from");
      froms.push_back({stringField(d, "from"), isSet(from) ? from : d});
      const Node* to = child(d, "to");
      std::vector<Locality> tos;
      int64_t total = 0;
      if (to != nullptr && to->isMap()) {
        for (const MapEntry& e : to->entries()) {
          tos.push_back({e.key, e.value});
          int64_t weight = (e.value != nullptr && e.value->isInt()) ? e.value->intValue() : 0;
          if (weight <= 0 || weight > 100) {
            ctx.error("dr-locality-weight", e.value,
                      "locality weight for " + quote(e.key) + " is " +
                          std::string(scalarOrEmpty(e.value)) + "; expected 1..100");
            return;
          }
          total += weight;
        }
      }
      if (total != 100) {
        ctx.error("dr-locality-weight", isSet(to) ? to : d,
                  "locality weights of distribute.to sum to " + std::to_string(total) +
                      "; expected exactly 100");
        return;
      }
      const Node* at = nullptr;
      if (std::string problem = checkLocalities(tos, &at); !problem.empty()) {
        ctx.error("dr-locality-invalid", at, problem);
      }
    }
  }
  const Node* at = nullptr;
  if (std::string problem = checkLocalities(froms, &at); !problem.empty()) {
    ctx.error("dr-locality-invalid", at, problem);
  }
  if ((seqSize(failover) > 0 || seqSize(priority) > 0) && outlier == nullptr) {
    ctx.warning("dr-failover-without-outlier", lb,
                "locality failover needs outlierDetection in the same traffic policy; without "
                "it endpoints are never ejected and failover never happens");
  }
  checkFailoverEntries(failover, "locality lb", "dr-locality-failover-invalid", ctx);
}

void checkZoneAwareLbSetting(const Node* lb, const Node* outlier, const PolicyContext& ctx) {
  if (lb == nullptr || !lb->isMap()) {
    return;
  }
  const Node* failover = lb->get("failover");
  const Node* priority = lb->get("failoverPriority");
  if (priority != nullptr && priority->isSeq()) {
    for (const Node* label : priority->items()) {
      if (isTopologyLabel(scalarOrEmpty(label))) {
        ctx.error("dr-zone-aware-topology-priority", label,
                  "zoneAwareLbSetting.failoverPriority must not use topology label " +
                      quote(label->text()) +
                      "; region- and zone-level routing are handled automatically");
      }
    }
  }
  if ((seqSize(failover) > 0 || seqSize(priority) > 0) && outlier == nullptr) {
    ctx.warning("dr-failover-without-outlier", lb,
                "zone-aware failover needs outlierDetection in the same traffic policy; without "
                "it endpoints are never ejected and failover never happens");
  }
  checkFailoverEntries(failover, "zone aware lb", "dr-zone-aware-failover-invalid", ctx);
}

void checkConsistentHash(const Node* hash, const PolicyContext& ctx) {
  if (hash == nullptr) {
    return;
  }
  if (const Node* cookie = setMap(hash, "httpCookie")) {
    if (stringField(cookie, "name").empty()) {
      ctx.error("dr-cookie-name-missing", cookie,
                "consistentHash.httpCookie requires a name; found none");
    }
    const Node* attributes = cookie->get("attributes");
    std::set<std::string_view> names;
    for (const Node* attr :
         attributes != nullptr ? attributes->items() : std::span<const Node* const>()) {
      std::string_view name = stringField(attr, "name");
      if (name.empty()) {
        ctx.error("dr-cookie-attribute-invalid", attr,
                  "httpCookie attribute name must not be empty");
        continue;
      }
      if (!names.insert(name).second) {
        ctx.error("dr-cookie-attribute-invalid", attr->get("name"),
                  "duplicate httpCookie attribute name " + quote(name));
      }
    }
  }
  std::optional<int64_t> ring = intField(hash, "minimumRingSize");
  if (ring && *ring != 0) {
    ctx.warning("dr-minimum-ring-size-deprecated", hash->get("minimumRingSize"),
                "consistentHash.minimumRingSize is deprecated; use ringHash.minimumRingSize "
                "instead");
    if (hasSetField(hash, "ringHash") || hasSetField(hash, "maglev")) {
      ctx.error("dr-minimum-ring-size-with-hash-algorithm", hash->get("minimumRingSize"),
                "consistentHash.minimumRingSize cannot be combined with ringHash or maglev; "
                "keep one");
    }
  }
  const Node* maglev = setMap(hash, "maglev");
  if (maglev == nullptr) {
    return;
  }
  std::optional<int64_t> size = intField(maglev, "tableSize");
  if (!size || *size < 0) {
    return;  // not an unsigned integer: the schema check reports it
  }
  auto x = static_cast<uint64_t>(*size);
  const Node* size_node = maglev->get("tableSize");
  const Node* at = isSet(size_node) ? size_node : maglev;
  if (x == 0) {
    ctx.error("dr-maglev-table-size", at, "maglev.tableSize must be set; found none or 0");
  }
  if (x >= kMaglevTableSizeLimit) {
    ctx.error("dr-maglev-table-size", at,
              "maglev.tableSize is " + std::to_string(x) + "; expected less than 5000011");
  }
  if (!isEnvoyPrime(x)) {
    ctx.error("dr-maglev-table-size", at,
              "maglev.tableSize is " + std::to_string(x) + "; expected a prime number");
  }
}

void checkWarmup(const Node* warmup, const PolicyContext& ctx) {
  if (warmup == nullptr) {
    return;
  }
  const Node* duration = warmup->get("duration");
  if (!isSet(duration)) {
    ctx.error("dr-warmup-invalid", warmup, "loadBalancer.warmup.duration is required; found none");
  } else if (duration->isString()) {
    if (std::string reason = checkDuration(duration->text()); !reason.empty()) {
      ctx.error("dr-warmup-invalid", duration, "loadBalancer.warmup.duration: " + reason);
    }
  }
  if (std::optional<double> pct = numberField(warmup, "minimumPercent"); pct && *pct > 100) {
    ctx.error("dr-warmup-invalid", warmup->get("minimumPercent"),
              "loadBalancer.warmup.minimumPercent is " +
                  std::string(warmup->get("minimumPercent")->text()) + "; expected at most 100");
  }
  if (std::optional<double> aggr = numberField(warmup, "aggression"); aggr && *aggr <= 0) {
    ctx.error("dr-warmup-invalid", warmup->get("aggression"),
              "loadBalancer.warmup.aggression is " +
                  std::string(warmup->get("aggression")->text()) + "; expected greater than 0");
  }
}

}  // namespace

bool isEnvoyPrime(uint64_t x) {
  if (x != 0 && x < 4) {
    return true;
  }
  if ((x & 1) == 0) {
    return false;
  }
  // Envoy's trial division up to floor(sqrt(x)); for very large values the same answer comes
  // from Miller-Rabin instead, since the loop could take ~2^31 steps on attacker input.
  constexpr uint64_t kTrialDivisionLimit = 1ull << 40;  // at most ~524k divisions
  if (x >= kTrialDivisionLimit) {
    return millerRabin(x);
  }
  auto limit = static_cast<uint64_t>(std::sqrt(static_cast<double>(x)));
  for (uint64_t factor = 3; factor <= limit; factor += 2) {
    if (x % factor == 0) {
      return false;
    }
  }
  return true;
}

void checkLoadBalancer(const Node* lb, const Node* outlier, const PolicyContext& ctx) {
  if (lb == nullptr || !lb->isMap()) {
    return;
  }
  checkConsistentHash(setMap(lb, "consistentHash"), ctx);
  if (hasSetField(lb, "localityLbSetting") && hasSetField(lb, "zoneAwareLbSetting")) {
    ctx.rep.emitAtKey("dr-locality-and-zone-aware", kIstSchemaError, Severity::kError,
                      lb->entry("zoneAwareLbSetting"),
                      "only one of localityLbSetting and zoneAwareLbSetting can be set; found "
                      "both");
  }
  checkLocalityLbSetting(setMap(lb, "localityLbSetting"), outlier, ctx);
  checkZoneAwareLbSetting(setMap(lb, "zoneAwareLbSetting"), outlier, ctx);
  checkWarmup(setMap(lb, "warmup"), ctx);
  // warmupDurationSecs is not checked by the webhook at this Istio revision; its >= 1ms CEL
  // rule is reported by validateCrdCel.
}

}  // namespace meshc::frontend::validation
