// The runtime helpers generated route-selection code calls (native_abi.h): header, query and
// claim lookups through the RequestView, the string matchers that are not inlined, regexes and
// the per-request RE2::Set memo, and the interpreter fallback for oversized virtual hosts.
#include <algorithm>
#include <string_view>
#include <vector>

#include "base/ascii.h"
#include "routing/interpreter.h"
#include "routing/request.h"
#include "routing/route_tree.h"
#include "native/native_abi.h"

namespace meshc::native {

namespace {

const ir::RequestView& view(const MeshcRequest* r) {
  return *static_cast<const ir::RequestView*>(r->view);
}
const ir::RouteProgram& program(const MeshcRequest* r) {
  return *static_cast<const ir::RouteProgram*>(r->program);
}

int32_t answer(std::optional<std::string_view> v, MeshcStr* out) {
  if (!v) {
    return 0;
  }
  out->data = v->data();
  out->size = v->size();
  return 1;
}

// Regex-list results for the request being evaluated on this thread (keyed by serial).
struct RegexMemo {
  uint64_t serial = 0;
  uint32_t vhost = UINT32_MAX;
  const void* program = nullptr;
  std::vector<uint32_t> matched;
  std::vector<int> hits;
};

RegexMemo& memo() {
  thread_local RegexMemo m;
  return m;
}

}  // namespace

extern "C" {

int32_t meshc_rt_header(const MeshcRequest* r, const char* name, uint64_t name_size,
                        MeshcStr* out) {
  return answer(view(r).header(std::string_view(name, name_size)), out);
}

int32_t meshc_rt_query(const MeshcRequest* r, const char* name, uint64_t name_size, MeshcStr* out) {
  return answer(view(r).queryParam(std::string_view(name, name_size)), out);
}

int32_t meshc_rt_claim(const MeshcRequest* r, const char* path, uint64_t path_size, MeshcStr* out) {
  return answer(view(r).claim(std::string_view(path, path_size)), out);
}

int32_t meshc_rt_string_match(uint32_t kind, uint32_t ignore_case, const char* value,
                              uint64_t value_size, const char* pattern, uint64_t pattern_size) {
  std::string_view v(value, value_size);
  std::string_view p(pattern, pattern_size);
  switch (kind) {
    case 0:
      return ignore_case ? ascii::equalsIgnoreCase(v, p) : v == p;
    case 1:
      return ignore_case ? ascii::startsWithIgnoreCase(v, p) : v.starts_with(p);
    case 2:
      return ignore_case ? ascii::endsWithIgnoreCase(v, p) : v.ends_with(p);
    case 3:
      if (ignore_case) {
        return ascii::toLower(v).find(ascii::toLower(p)) != std::string::npos;
      }
      return v.find(p) != std::string_view::npos;
    default:
      return 0;
  }
}

int32_t meshc_rt_regex(const MeshcRequest* r, int32_t regex, const char* value, uint64_t size) {
  const ir::RouteProgram& p = program(r);
  if (regex < 0 || static_cast<size_t>(regex) >= p.regexes.size() || p.regexes[regex] == nullptr) {
    return 0;
  }
  return re2::RE2::FullMatch(std::string_view(value, size), *p.regexes[regex]) ? 1 : 0;
}

int32_t meshc_rt_regex_route(const MeshcRequest* r, uint32_t vhost, uint32_t route) {
  const ir::RouteProgram& p = program(r);
  if (vhost >= p.virtual_hosts.size()) {
    return 0;
  }
  RegexMemo& m = memo();
  if (m.serial != r->serial || m.vhost != vhost || m.program != r->program) {
    ir::matchRegexRoutes(p, p.virtual_hosts[vhost], std::string_view(r->path.data, r->path.size),
                         m.matched, m.hits);
    m.serial = r->serial;
    m.vhost = vhost;
    m.program = r->program;
  }
  return std::binary_search(m.matched.begin(), m.matched.end(), route) ? 1 : 0;
}

int32_t meshc_rt_select_route(const MeshcRequest* r, uint32_t vhost) {
  return ir::selectRoute(program(r), vhost, view(r));
}

int32_t meshc_rt_merge2(const MeshcRequest* r, const uint64_t* a, uint64_t a_size,
                        const uint64_t* b, uint64_t b_size,
                        int32_t (*check)(const MeshcRequest*, uint32_t)) {
  uint64_t i = 0, j = 0;
  while (i < a_size || j < b_size) {
    uint64_t next = (j >= b_size || (i < a_size && a[i] < b[j])) ? a[i++] : b[j++];
    if (check(r, static_cast<uint32_t>(next)) != 0) {
      return static_cast<int32_t>(next >> 32);
    }
  }
  return -1;
}

int32_t meshc_rt_equals_ignore_case(const char* a, const char* b, uint64_t size) {
  return ascii::equalsIgnoreCase(std::string_view(a, size), std::string_view(b, size)) ? 1 : 0;
}

}  // extern "C"

const HelperSymbol* helperSymbols(uint32_t* count) {
  static const HelperSymbol kHelpers[] = {
      {"meshc_rt_header", reinterpret_cast<void*>(&meshc_rt_header)},
      {"meshc_rt_query", reinterpret_cast<void*>(&meshc_rt_query)},
      {"meshc_rt_claim", reinterpret_cast<void*>(&meshc_rt_claim)},
      {"meshc_rt_string_match", reinterpret_cast<void*>(&meshc_rt_string_match)},
      {"meshc_rt_regex", reinterpret_cast<void*>(&meshc_rt_regex)},
      {"meshc_rt_regex_route", reinterpret_cast<void*>(&meshc_rt_regex_route)},
      {"meshc_rt_select_route", reinterpret_cast<void*>(&meshc_rt_select_route)},
      {"meshc_rt_equals_ignore_case", reinterpret_cast<void*>(&meshc_rt_equals_ignore_case)},
      {"meshc_rt_merge2", reinterpret_cast<void*>(&meshc_rt_merge2)},
  };
  *count = sizeof(kHelpers) / sizeof(kHelpers[0]);
  return kHelpers;
}

}  // namespace meshc::native
