// Host-name overlap and containment with wildcards, shared by validation, analyzers and
// lowering. Entry points: hostMatches(), hostSubsetOf().
#include "frontend/istio/host.h"

namespace meshc::istio {

namespace {
bool isWildcarded(std::string_view h) { return !h.empty() && h[0] == '*'; }
}  // namespace

bool hostMatches(std::string_view a, std::string_view b) {
  bool aw = isWildcarded(a);
  bool bw = isWildcarded(b);
  if (aw && bw) {
    if (a.size() < b.size()) {
      return b.substr(1).ends_with(a.substr(1));
    }
    return a.substr(1).ends_with(b.substr(1));
  }
  if (aw) {
    return b.ends_with(a.substr(1));
  }
  if (bw) {
    return a.ends_with(b.substr(1));
  }
  return a == b;
}

bool hostSubsetOf(std::string_view a, std::string_view b) {
  bool aw = isWildcarded(a);
  bool bw = isWildcarded(b);
  if (aw && bw) {
    if (a.size() < b.size()) {
      return false;
    }
    return a.substr(1).ends_with(b.substr(1));
  }
  if (aw) {
    return false;
  }
  if (bw) {
    return a.ends_with(b.substr(1));
  }
  return a == b;
}

}  // namespace meshc::istio
