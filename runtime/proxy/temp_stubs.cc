// TEMPORARY: stand-ins until the upstream-lb branch merges (route actions: runtime/router/).
#include "upstream/endpoints_file.h"
#include "upstream/hash_policy.h"
#include "upstream/load_balancer.h"

namespace meshc::upstream {
namespace {
class Rr : public LoadBalancer {
 public:
  int32_t pick(std::span<const HostState> hosts, const PickContext&) override {
    if (hosts.empty()) return -1;
    return static_cast<int32_t>(next_++ % hosts.size());
  }
  size_t next_ = 0;
};
}  // namespace
std::unique_ptr<LoadBalancer> createLoadBalancer(std::string_view, std::span<const HostState>,
                                                 uint64_t, const xds::Cluster*) {
  return std::make_unique<Rr>();
}
HashResult computeRequestHash(const std::vector<xds::HashPolicy>&, const HashInputs&) { return {}; }
Expected<EndpointsFile> parseEndpointsFile(std::string_view, std::string_view name) {
  return Status::error(StatusCode::kInvalidArgument, std::string(name) + ": not yet");
}
std::vector<std::string> applyEndpoints(const EndpointsFile&, std::vector<xds::Cluster>&) { return {}; }
}  // namespace meshc::upstream
