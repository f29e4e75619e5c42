// `meshproxy --endpoints FILE`: parse and validate the JSON endpoint lists, then apply them to
// a bundle's clusters, subsets included (PROXY-SEMANTICS R4.5). Entry points:
// parseEndpointsFile(), applyEndpoints().
#include "upstream/endpoints_file.h"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>

namespace meshc::upstream {
namespace {

using nlohmann::json;

const char* typeName(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number with a fraction";
    default:
      return "something else";
  }
}

// Collects the first error; every check returns false once one is recorded.
class Checker {
 public:
  explicit Checker(std::string_view file) : file_(file) {}

  bool fail(const std::string& path, const std::string& message) {
    if (!error_) {
      error_ = path.empty() ? file_ + ": " + message : file_ + ": " + path + ": " + message;
    }
    return false;
  }
  const std::optional<std::string>& error() const { return error_; }

  /// Fails on a key outside `allowed` (typos would otherwise be ignored silently).
  bool onlyKeys(const json& object, const std::string& path,
                std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : object.items()) {
      bool known = false;
      for (std::string_view a : allowed) {
        known = known || key == a;
      }
      if (!known) {
        return fail(path, "unknown field \"" + key + "\"");
      }
    }
    return true;
  }

  /// Field `field` of the object at `path` as an unsigned integer in [lo, hi].
  std::optional<uint64_t> integerIn(const json& value, const std::string& path,
                                    std::string_view field, uint64_t lo, uint64_t hi) {
    if (value.is_number_unsigned()) {
      const uint64_t v = value.get<uint64_t>();
      if (v >= lo && v <= hi) {
        return v;
      }
    }
    fail(path, std::string(field) + " must be " + std::to_string(lo) + "-" + std::to_string(hi) +
                   ", found " + value.dump());
    return std::nullopt;
  }

 private:
  std::string file_;
  std::optional<std::string> error_;
};

std::string at(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : base + "." + std::string(key);
}
std::string index(const std::string& base, size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

bool parseEndpoint(Checker& c, const json& j, const std::string& path, xds::Endpoint& out) {
  if (!j.is_object()) {
    return c.fail(path, std::string("expected an object, found ") + typeName(j));
  }
  if (!c.onlyKeys(j, path, {"address", "port", "weight", "labels"})) {
    return false;
  }
  auto address = j.find("address");
  if (address == j.end()) {
    return c.fail(path, "missing \"address\"");
  }
  if (!address->is_string() || address->get_ref<const std::string&>().empty()) {
    return c.fail(path, "address must be a non-empty string, found " + address->dump());
  }
  out.address = address->get<std::string>();
  auto port = j.find("port");
  if (port == j.end()) {
    return c.fail(path, "missing \"port\"");
  }
  std::optional<uint64_t> p = c.integerIn(*port, path, "port", 1, 65535);
  if (!p) {
    return false;
  }
  out.port = static_cast<uint32_t>(*p);
  out.weight = 1;
  if (auto weight = j.find("weight"); weight != j.end()) {
    // EDS load_balancing_weight: at least 1, and the weights of a cluster fit in 32 bits.
    std::optional<uint64_t> w = c.integerIn(*weight, path, "weight", 1, UINT32_MAX);
    if (!w) {
      return false;
    }
    out.weight = static_cast<uint32_t>(*w);
  }
  out.labels.clear();
  if (auto labels = j.find("labels"); labels != j.end()) {
    if (!labels->is_object()) {
      return c.fail(path,
                    std::string("labels must be an object of strings, found ") + typeName(*labels));
    }
    for (const auto& [key, value] : labels->items()) {
      if (!value.is_string()) {
        return c.fail(path, "label \"" + key + "\" must be a string, found " + value.dump());
      }
      out.labels.emplace(key, value.get<std::string>());
    }
  }
  return true;
}

bool parseCluster(Checker& c, const json& j, const std::string& path, ClusterEndpoints& out) {
  if (!j.is_object()) {
    return c.fail(path, std::string("expected an object, found ") + typeName(j));
  }
  if (!c.onlyKeys(j, path, {"name", "endpoints"})) {
    return false;
  }
  auto name = j.find("name");
  if (name == j.end()) {
    return c.fail(path, "missing \"name\"");
  }
  if (!name->is_string() || name->get_ref<const std::string&>().empty()) {
    return c.fail(path, "name must be a non-empty string, found " + name->dump());
  }
  out.name = name->get<std::string>();
  auto endpoints = j.find("endpoints");
  if (endpoints == j.end()) {
    return c.fail(path, "missing \"endpoints\"");
  }
  if (!endpoints->is_array()) {
    return c.fail(path, std::string("endpoints must be an array, found ") + typeName(*endpoints));
  }
  out.endpoints.resize(endpoints->size());
  for (size_t i = 0; i < endpoints->size(); ++i) {
    if (!parseEndpoint(c, (*endpoints)[i], index(at(path, "endpoints"), i), out.endpoints[i])) {
      return false;
    }
  }
  return true;
}

// "outbound|9080|v1|reviews.default.svc.cluster.local" → its four fields; nullopt otherwise.
struct ClusterKey {
  std::string_view direction, port, subset, host;
};
std::optional<ClusterKey> splitClusterName(std::string_view name) {
  std::string_view parts[4];
  for (int i = 0; i < 3; ++i) {
    const size_t bar = name.find('|');
    if (bar == std::string_view::npos) {
      return std::nullopt;
    }
    parts[i] = name.substr(0, bar);
    name = name.substr(bar + 1);
  }
  if (name.find('|') != std::string_view::npos) {
    return std::nullopt;
  }
  parts[3] = name;
  return ClusterKey{parts[0], parts[1], parts[2], parts[3]};
}

bool labelsContain(const xds::StringMap& labels, const xds::StringMap& wanted) {
  for (const auto& [key, value] : wanted) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) {
      return false;
    }
  }
  return true;
}

}  // namespace

Expected<EndpointsFile> parseEndpointsFile(std::string_view text, std::string_view name) {
  Checker c(name);
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: ...";
    // keep the part after the bracketed id.
    std::string what = e.what();
    const size_t close = what.find("] ");
    return Status::error(StatusCode::kInvalidArgument,
                         std::string(name) + ": not valid JSON: " +
                             (close == std::string::npos ? what : what.substr(close + 2)));
  }
  EndpointsFile file;
  const auto done = [&]() -> Expected<EndpointsFile> {
    if (c.error()) {
      return Status::error(StatusCode::kInvalidArgument, *c.error());
    }
    return std::move(file);
  };
  if (!root.is_object()) {
    c.fail("", std::string("expected an object at the top level, found ") + typeName(root));
    return done();
  }
  if (!c.onlyKeys(root, "", {"version", "clusters"})) {
    return done();
  }
  auto version = root.find("version");
  if (version == root.end()) {
    c.fail("", "missing \"version\" (this meshproxy reads version 1)");
    return done();
  }
  if (!version->is_number_unsigned() || version->get<uint64_t>() != 1) {
    c.fail("",
           "version must be 1 (the only version this meshproxy reads), found " + version->dump());
    return done();
  }
  auto clusters = root.find("clusters");
  if (clusters == root.end()) {
    c.fail("", "missing \"clusters\"");
    return done();
  }
  if (!clusters->is_array()) {
    c.fail("", std::string("clusters must be an array, found ") + typeName(*clusters));
    return done();
  }
  std::map<std::string, size_t, std::less<>> seen;
  file.clusters.resize(clusters->size());
  for (size_t i = 0; i < clusters->size(); ++i) {
    const std::string path = index("clusters", i);
    if (!parseCluster(c, (*clusters)[i], path, file.clusters[i])) {
      return done();
    }
    auto [it, inserted] = seen.emplace(file.clusters[i].name, i);
    if (!inserted) {
      c.fail(path, "name \"" + file.clusters[i].name + "\" is already listed at " +
                       index("clusters", it->second));
      return done();
    }
  }
  return done();
}

std::vector<std::string> applyEndpoints(const EndpointsFile& file,
                                        std::vector<xds::Cluster>& clusters) {
  std::map<std::string_view, const ClusterEndpoints*, std::less<>> by_name;
  for (const ClusterEndpoints& entry : file.clusters) {
    by_name.emplace(entry.name, &entry);
  }
  std::vector<bool> used(file.clusters.size(), false);
  const auto mark = [&](const ClusterEndpoints* entry) {
    used[static_cast<size_t>(entry - file.clusters.data())] = true;
  };
  for (xds::Cluster& cluster : clusters) {
    if (auto it = by_name.find(cluster.name); it != by_name.end()) {
      cluster.endpoints = it->second->endpoints;
      mark(it->second);
      continue;
    }
    // A subset cluster the file does not name takes the endpoints of its service's plain
    // cluster `outbound|P||H` whose labels match the subset's (R4.5).
    std::optional<ClusterKey> key = splitClusterName(cluster.name);
    if (!key || key->subset.empty()) {
      continue;
    }
    std::string plain;
    plain.append(key->direction).append("|").append(key->port).append("||").append(key->host);
    auto it = by_name.find(plain);
    if (it == by_name.end()) {
      continue;
    }
    cluster.endpoints.clear();
    for (const xds::Endpoint& e : it->second->endpoints) {
      if (labelsContain(e.labels, cluster.subset_labels)) {
        cluster.endpoints.push_back(e);
      }
    }
    mark(it->second);
  }
  std::vector<std::string> unknown;
  for (size_t i = 0; i < file.clusters.size(); ++i) {
    if (!used[i]) {
      unknown.push_back(file.clusters[i].name);
    }
  }
  return unknown;
}

}  // namespace meshc::upstream
