// Oracle for objects with wrongly typed fields: the API server checks the CRD's structural schema
// before the webhook runs (ISTIO-VALIDATION.md section D, "Interplay"), and skips CEL rules when a
// value has the wrong type, so such an object gets exactly its schema findings from lint and no
// webhook or CEL finding. Each expectation names the field, so a finding at the wrong place or
// for the wrong reason fails.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test_util.h"

namespace meshc::testing {

struct ExpectedFinding {
  std::string id;       // schema-type, schema-required, schema-unknown-field
  uint32_t line;        // a scalar is reported at its value, a collection at its key, an item
  uint32_t column;      // of a list at the item
  std::string in_text;  // a piece of the message: the JSON path and what was expected there
};

inline std::string describeExpected(const std::vector<ExpectedFinding>& want) {
  std::string out;
  for (const ExpectedFinding& e : want) {
    out += e.id + "@" + std::to_string(e.line) + ":" + std::to_string(e.column) + " ..." +
           e.in_text + "...\n";
  }
  return out;
}

/// Checks that `got` (lint diagnostics, sorted by position) are exactly `want`, in order.
inline void checkFindings(const std::vector<Diagnostic>& got,
                          const std::vector<ExpectedFinding>& want) {
  INFO("got:\n" << describe(got) << "want:\n" << describeExpected(want));
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("finding #" << i);
    CHECK(got[i].id == want[i].id);
    CHECK(got[i].severity == Severity::kError);
    CHECK(got[i].istio_code == "IST0106");
    CHECK(got[i].loc.line == want[i].line);
    CHECK(got[i].loc.column == want[i].column);
    CHECK(got[i].message.find(want[i].in_text) != std::string::npos);
  }
}

}  // namespace meshc::testing
