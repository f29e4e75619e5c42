// Tests for the positioned YAML tree: typing, positions, anchors, merge keys, and bad input.
#include <catch2/catch.hpp>

#include "frontend/yaml_tree.h"
#include "test_util.h"

using meshc::DiagnosticSink;
using meshc::SourceManager;
using namespace meshc::frontend;

namespace {

struct Parsed {
  SourceManager sources;
  DiagnosticSink sink;
  YamlArena arena;
  std::vector<YamlDocument> docs;
  explicit Parsed(std::string text, ParseLimits limits = {}) {
    uint32_t id = sources.add("t.yaml", std::move(text));
    docs = parseYamlFile(sources, id, arena, sink, limits);
  }
  const Node& root(size_t i = 0) const { return *docs.at(i).root; }
};

}  // namespace

TEST_CASE("plain scalars follow YAML 1.2 core typing and quoted ones stay strings", "[yaml]") {
  Parsed p(R"(a: 80
b: "80"
c: true
d: yes
e: ~
f: 1.5
g: 0x1F
h: '1.5'
i: |
  block
j: 1e3
k: .inf
)");
  REQUIRE(p.sink.size() == 0);
  const Node& r = p.root();
  CHECK(r.get("a")->kind() == NodeKind::kInt);
  CHECK(r.get("a")->intValue() == 80);
  CHECK(r.get("b")->kind() == NodeKind::kString);
  CHECK(r.get("c")->kind() == NodeKind::kBool);
  CHECK(r.get("d")->kind() == NodeKind::kString);  // YAML 1.1 booleans are strings in 1.2
  CHECK(r.get("e")->isNull());
  CHECK(r.get("f")->kind() == NodeKind::kFloat);
  CHECK(r.get("g")->intValue() == 31);
  CHECK(r.get("h")->isString());
  CHECK(r.get("i")->text() == "block\n");
  CHECK(r.get("j")->kind() == NodeKind::kFloat);
  CHECK(r.get("k")->kind() == NodeKind::kFloat);
}

TEST_CASE("nodes and keys carry 1-based line and column", "[yaml]") {
  Parsed p("spec:\n  hosts:\n  - reviews\n");
  const Node& r = p.root();
  const MapEntry* spec = r.entry("spec");
  REQUIRE(spec != nullptr);
  CHECK(spec->key_loc.line == 1);
  CHECK(spec->key_loc.column == 1);
  const Node* host = r.get("spec")->get("hosts")->items()[0];
  CHECK(host->loc().line == 3);
  CHECK(host->loc().column == 5);
}

TEST_CASE("duplicate keys are reported with a note at the first one", "[yaml]") {
  Parsed p("a: 1\nb: 2\na: 3\n");
  REQUIRE(p.sink.size() == 1);
  const meshc::Diagnostic& d = p.sink.diagnostics()[0];
  CHECK(d.id == "yaml-duplicate-key");
  CHECK(d.loc.line == 3);
  REQUIRE(d.notes.size() == 1);
  CHECK(d.notes[0].loc.line == 1);
  CHECK(p.root().get("a")->intValue() == 1);
}

TEST_CASE("anchors, aliases and merge keys resolve as kubectl reads them", "[yaml]") {
  Parsed p(R"(base: &b
  x: 1
  y: 2
copy: *b
merged:
  <<: *b
  y: 3
)");
  REQUIRE(p.sink.size() == 0);
  const Node& r = p.root();
  CHECK(r.get("copy")->get("x")->intValue() == 1);
  CHECK(r.get("merged")->get("x")->intValue() == 1);
  CHECK(r.get("merged")->get("y")->intValue() == 3);
  CHECK(r.get("merged")->size() == 2);
}

TEST_CASE("multi-document files keep every document and empty ones parse as null", "[yaml]") {
  Parsed p("a: 1\n---\n---\nb: 2\n");
  REQUIRE(p.docs.size() == 3);
  CHECK(p.root(1).isNull());
  CHECK(p.root(2).get("b")->intValue() == 2);
  CHECK(p.docs[2].start.line == 4);
}

TEST_CASE("a syntax error keeps earlier documents and reports a position", "[yaml]") {
  Parsed p("a: 1\n---\nb: [1, 2\n");
  CHECK(p.docs.size() == 1);
  REQUIRE(p.sink.size() == 1);
  CHECK(p.sink.diagnostics()[0].id == "yaml-syntax");
  CHECK(p.sink.diagnostics()[0].loc.line >= 3);
}

TEST_CASE("binary, invalid UTF-8, deep nesting and alias bombs are refused cleanly", "[yaml]") {
  SECTION("NUL byte") {
    Parsed p(std::string("a: 1\nb: \0x\n", 11));
    REQUIRE(p.sink.size() == 1);
    CHECK(p.sink.diagnostics()[0].id == "yaml-binary");
    CHECK(p.sink.diagnostics()[0].loc.line == 2);
  }
  SECTION("invalid UTF-8") {
    Parsed p("a: \xff\xfe\n");
    REQUIRE(p.sink.size() == 1);
    CHECK(p.sink.diagnostics()[0].id == "yaml-invalid-utf8");
    CHECK(p.sink.diagnostics()[0].loc.column == 4);
  }
  SECTION("deep nesting") {
    std::string deep(500, '[');
    Parsed p(deep);
    REQUIRE(p.sink.size() >= 1);
    CHECK((p.sink.diagnostics()[0].id == "yaml-too-deep" ||
           p.sink.diagnostics()[0].id == "yaml-syntax"));
  }
  SECTION("billion laughs") {
    std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'k'; ++c) {
      text += std::string(1, c) + ": &" + c + " [";
      for (int i = 0; i < 10; ++i) {
        text += std::string(i ? ", " : "") + "*" + prev;
      }
      text += "]\n";
      prev = c;
    }
    Parsed p(text);
    REQUIRE(p.sink.size() == 1);
    CHECK(p.sink.diagnostics()[0].id == "yaml-too-large");
  }
  SECTION("tabs in indentation") {
    Parsed p("a:\n\tb: 1\n");
    REQUIRE(p.sink.size() == 1);
    CHECK(p.sink.diagnostics()[0].id == "yaml-syntax");
    CHECK(p.sink.diagnostics()[0].loc.line == 2);
  }
}

TEST_CASE("toJson renders the tree as compact JSON", "[yaml]") {
  Parsed p("a: [1, \"x\", true, null]\nb: {c: 1.5}\n");
  CHECK(toJson(p.root()) == R"({"a":[1,"x",true,null],"b":{"c":1.5}})");
}

TEST_CASE("input on which yaml-cpp makes no progress is an error, not a hang", "[yaml]") {
  for (const char* text : {",\n", "!,!@", " ,`  host:"}) {
    Parsed p(text);
    INFO(text);
    REQUIRE(p.sink.size() >= 1);
    CHECK(p.sink.diagnostics().back().id == "yaml-syntax");
  }
}

TEST_CASE("an unclosed flow collection is reported at its opening bracket", "[yaml]") {
  struct Case {
    const char* text;
    uint32_t line, column;
    const char* message;
  };
  const char* kSeq = "invalid YAML: this '[' is never closed; expected ']' after the last item";
  const char* kMap = "invalid YAML: this '{' is never closed; expected '}' after the last entry";
  for (const Case& c : {Case{"hosts: [a, b", 1, 8, kSeq},
                        Case{"a: 1\nhosts: [a,\n  b\n", 2, 8, kSeq},
                        Case{"hosts: [a, [b, c]\n", 1, 8, kSeq},
                        Case{"labels: {app: web\nspec: 1\n", 1, 9, kMap},
                        Case{"x: [a, {b: c\n", 1, 8, kMap}}) {
    Parsed p(c.text);
    INFO(c.text);
    REQUIRE(p.sink.size() == 1);
    const meshc::Diagnostic& d = p.sink.diagnostics()[0];
    CHECK(d.id == "yaml-syntax");
    CHECK(d.loc.line == c.line);
    CHECK(d.loc.column == c.column);
    CHECK(d.message == c.message);
  }
}
