// Meta-test of the rule catalog: every rule id is named by at least one test file under tests/
// (unit tests, CLI tests, goldens, corpus expectations), so a rule nobody triggers cannot hide.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/rule_catalog.h"

namespace {

namespace fs = std::filesystem;

bool isIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// True when `id` occurs in `text` as a whole id: "gw-tls" inside "gw-tls-cert-missing" does not
// count.
bool namesId(const std::string& text, const std::string& id) {
  for (size_t at = text.find(id); at != std::string::npos; at = text.find(id, at + 1)) {
    bool starts = at == 0 || !isIdChar(text[at - 1]);
    size_t end = at + id.size();
    bool ends = end == text.size() || !isIdChar(text[end]);
    if (starts && ends) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("every rule in the catalog is named by some test", "[rule-catalog]") {
  const fs::path tests = fs::path(MESHC_SOURCE_DIR) / "tests";
  const fs::path self = fs::path(__FILE__).filename();
  std::string corpus;
  size_t files = 0;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(tests)) {
    if (!e.is_regular_file() || e.path().filename() == self) {
      continue;
    }
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    corpus += ss.str();
    corpus += '\n';
    ++files;
  }
  REQUIRE(files > 20);
  size_t rules = 0;
  for (const meshc::frontend::RuleInfo& rule : meshc::frontend::ruleCatalog()) {
    ++rules;
    std::string id(rule.id);
    INFO("rule " << id << " is named by no file under tests/: add a test that triggers it");
    CHECK(namesId(corpus, id));
  }
  CHECK(rules > 250);
}

TEST_CASE("the coverage scan matches whole ids only", "[rule-catalog]") {
  CHECK(namesId("CHECK(hasId(d, \"gw-tls-cert-missing\"))", "gw-tls-cert-missing"));
  CHECK_FALSE(namesId("\"gw-tls-cert-missing\"", "tls-cert-missing"));
  CHECK_FALSE(namesId("\"gw-tls-cert-missing\"", "gw-tls-cert"));
  CHECK(namesId("error[file-too-large]", "file-too-large"));
}
