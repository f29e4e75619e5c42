// Helpers of the routing tree shared by the compiler (IR build) and the runtime (bundle load):
// regex compilation, the regex filter, names. Entry points: see route_tree.h.
#include "routing/route_tree.h"

#include "routing/route_decision.h"

namespace meshc::ir {

const char* pathKindName(PathKind k) {
  switch (k) {
    case PathKind::kPrefix:
      return "prefix";
    case PathKind::kExact:
      return "path";
    case PathKind::kSegmentPrefix:
      return "path_separated_prefix";
    case PathKind::kRegex:
      return "safe_regex";
  }
  return "?";
}

std::string describeDecision(const RouteDecision& decision) {
  switch (decision.kind) {
    case RouteDecision::Kind::kRoute:
      return "route " + std::to_string(decision.virtual_host) + "/" +
             std::to_string(decision.route);
    case RouteDecision::Kind::kNoRoute:
      return "no route in virtual host " + std::to_string(decision.virtual_host);
    case RouteDecision::Kind::kNoVirtualHost:
      return "no virtual host";
  }
  return "?";
}

std::string regexLiteralPrefix(const re2::RE2& re) {
  // 128 bytes is longer than any useful routing literal; RE2 truncates its bounds there.
  std::string min, max;
  if (!re.ok() || !re.PossibleMatchRange(&min, &max, 128)) {
    return "";
  }
  size_t n = 0;
  while (n < min.size() && n < max.size() && min[n] == max[n]) {
    ++n;
  }
  return min.substr(0, n);
}

std::shared_ptr<const re2::RE2> compileRouteRegex(const std::string& pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  return std::make_shared<const re2::RE2>(pattern, options);
}

void buildRegexFilter(VirtualHostProgram& vh) {
  vh.regex_filter = nullptr;
  if (vh.regex_routes.empty()) {
    return;
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  // The set holds every regex route of the host; give it room so large hosts keep the
  // one-pass path (the DFA budget is two thirds of this).
  options.set_max_mem(int64_t{256} << 20);
  auto set = std::make_shared<re2::RE2::Set>(options, re2::RE2::ANCHOR_BOTH);
  for (uint32_t r : vh.regex_routes) {
    if (r >= vh.routes.size() || set->Add(vh.routes[r].path, nullptr) < 0) {
      return;
    }
  }
  if (set->Compile()) {
    vh.regex_filter = std::move(set);
  }
}

void compileProgramRegexes(RouteProgram& program) {
  program.regexes.clear();
  program.regexes.reserve(program.regex_patterns.size());
  for (const std::string& pattern : program.regex_patterns) {
    std::shared_ptr<const re2::RE2> re = compileRouteRegex(pattern);
    program.regexes.push_back(re->ok() ? std::move(re) : nullptr);
  }
  for (VirtualHostProgram& vh : program.virtual_hosts) {
    buildRegexFilter(vh);
  }
}

}  // namespace meshc::ir
