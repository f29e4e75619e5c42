// Tests for the loader's file- and object-level findings: file-too-large, file-unreadable (a file
// in a directory that cannot be opened, or whose read fails) and object-missing-name, each with
// id, severity and position, and the neighbouring input that must stay clean.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"

namespace {

namespace fs = std::filesystem;
using meshc::Diagnostic;
using meshc::DiagnosticSink;
using meshc::Severity;
using meshc::SourceManager;
using meshc::frontend::Loader;
using meshc::frontend::LoaderOptions;
using meshc::testing::describe;
using meshc::testing::Loaded;

const char kGateway[] =
    "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: g\n"
    "  namespace: ns\nspec:\n  selector: {istio: ingressgateway}\n";

// A fresh empty directory under the system temp dir, removed at scope exit.
struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("meshc-loader-test-" +
                   std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

bool opensForReading(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return static_cast<bool>(in);
}

}  // namespace

TEST_CASE("a file above the size limit is one file-too-large error at 1:1", "[loader]") {
  LoaderOptions options;
  options.limits.max_file_bytes = sizeof(kGateway) - 2;  // one byte short
  SourceManager sources;
  DiagnosticSink sink;
  Loader loader(sources, sink, options);
  loader.addText("big.yaml", kGateway);
  const std::vector<Diagnostic>& d = sink.diagnostics();
  INFO(describe(d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].id == "file-too-large");
  CHECK(d[0].severity == Severity::kError);
  CHECK(sources.file(d[0].loc.file).path == "big.yaml");
  CHECK(d[0].loc.line == 1);
  CHECK(d[0].loc.column == 1);
  CHECK(d[0].message == "file is " + std::to_string(sizeof(kGateway) - 1) +
                            " bytes; the limit is " + std::to_string(sizeof(kGateway) - 2));
  CHECK(loader.resources().empty());  // nothing of the file is read

  options.limits.max_file_bytes = sizeof(kGateway) - 1;  // exactly at the limit is accepted
  SourceManager sources2;
  DiagnosticSink sink2;
  Loader at_limit(sources2, sink2, options);
  at_limit.addText("ok.yaml", kGateway);
  INFO(describe(sink2.diagnostics()));
  CHECK(sink2.diagnostics().empty());
  CHECK(at_limit.resources().size() == 1);
}

TEST_CASE("a file in a directory that cannot be opened is file-unreadable and the others load",
          "[loader]") {
  TempDir dir;
  std::ofstream(dir.path / "a.yaml") << kGateway;
  fs::path bad = dir.path / "b.yaml";
  std::ofstream(bad) << kGateway;
  // Without read permission the file cannot be opened, except for root; root cannot open a
  // write-only sysctl either, so point the name at one instead.
  fs::permissions(bad, fs::perms::none);
  for (const char* write_only : {"/proc/sys/vm/compact_memory", "/proc/sys/vm/drop_caches",
                                 "/proc/sys/net/ipv4/route/flush"}) {
    if (!opensForReading(bad)) {
      break;
    }
    fs::remove(bad);
    fs::create_symlink(write_only, bad);
  }
  INFO("no way to make an unreadable file here (running as root without write-only sysctls?)");
  REQUIRE_FALSE(opensForReading(bad));

  SourceManager sources;
  DiagnosticSink sink;
  Loader loader(sources, sink);
  REQUIRE(loader.addPath(dir.path.string()).isOk());
  const std::vector<Diagnostic>& d = sink.diagnostics();
  INFO(describe(d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].id == "file-unreadable");
  CHECK(d[0].severity == Severity::kError);
  CHECK(sources.file(d[0].loc.file).path == bad.string());
  CHECK(d[0].loc.line == 1);
  CHECK(d[0].loc.column == 1);
  CHECK(d[0].message == "cannot read file " + bad.string());
  REQUIRE(loader.resources().size() == 1);  // a.yaml
  CHECK(loader.resources()[0].name == "g");
}

TEST_CASE("a file whose read fails after opening is file-unreadable, not an empty file",
          "[loader]") {
  // /proc/self/mem opens, but reading its first page fails with EIO.
  TempDir dir;
  std::ofstream(dir.path / "a.yaml") << kGateway;
  fs::path bad = dir.path / "b.yaml";
  fs::create_symlink("/proc/self/mem", bad);
  REQUIRE(opensForReading(bad));

  SourceManager sources;
  DiagnosticSink sink;
  Loader loader(sources, sink);
  REQUIRE(loader.addPath(dir.path.string()).isOk());
  const std::vector<Diagnostic>& d = sink.diagnostics();
  INFO(describe(d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].id == "file-unreadable");
  CHECK(d[0].severity == Severity::kError);
  CHECK(sources.file(d[0].loc.file).path == bad.string());
  CHECK(loader.resources().size() == 1);
  // Named directly, the same file is an I/O error of the path, not an empty input.
  SourceManager sources2;
  DiagnosticSink sink2;
  Loader direct(sources2, sink2);
  CHECK_FALSE(direct.addPath(bad.string()).isOk());
}

TEST_CASE("a directory mounted from a ConfigMap is read once: hidden entries are skipped",
          "[loader]") {
  // The kubelet's layout: `..<timestamp>/istio.yaml`, `..data` -> `..<timestamp>`, and the
  // visible `istio.yaml` -> `..data/istio.yaml`. A hidden file beside them is skipped too.
  TempDir dir;
  fs::create_directories(dir.path / "..2026_12_03_18_00_00.123456789");
  std::ofstream(dir.path / "..2026_12_03_18_00_00.123456789" / "istio.yaml") << kGateway;
  fs::create_directory_symlink("..2026_12_03_18_00_00.123456789", dir.path / "..data");
  fs::create_symlink("..data/istio.yaml", dir.path / "istio.yaml");
  std::ofstream(dir.path / ".istio.yaml.swp") << kGateway;
  fs::create_directories(dir.path / "nested" / ".git");
  std::ofstream(dir.path / "nested" / ".git" / "old.yaml") << kGateway;

  SourceManager sources;
  DiagnosticSink sink;
  Loader loader(sources, sink);
  REQUIRE(loader.addPath(dir.path.string()).isOk());
  INFO(describe(sink.diagnostics()));
  CHECK(sink.diagnostics().empty());  // no duplicate-resource
  REQUIRE(loader.resources().size() == 1);
  CHECK(sources.file(loader.resources()[0].loc.file).path == (dir.path / "istio.yaml").string());
}

TEST_CASE("an object without metadata.name is object-missing-name at its metadata", "[loader]") {
  Loaded l(
      "apiVersion: networking.istio.io/v1\n"
      "kind: Gateway\n"
      "metadata:\n"
      "  namespace: ns\n"
      "spec: {}\n"
      "---\n"
      "apiVersion: networking.istio.io/v1\n"
      "kind: Gateway\n"
      "spec: {}\n"
      "---\n"
      "apiVersion: networking.istio.io/v1\n"
      "kind: Gateway\n"
      "metadata: {generateName: gw-, namespace: ns}\n"
      "spec: {}\n");
  const std::vector<Diagnostic>& d = l.sink.diagnostics();
  INFO(describe(d));
  REQUIRE(d.size() == 2);  // generateName is a name the API server fills in
  CHECK(d[0].id == "object-missing-name");
  CHECK(d[0].severity == Severity::kError);
  CHECK(d[0].loc.line == 4);  // the metadata mapping
  CHECK(d[0].loc.column == 3);
  CHECK(d[0].message == "missing metadata.name; every Gateway needs a name");
  CHECK(d[0].resource.kind == "Gateway");
  CHECK(d[1].id == "object-missing-name");
  CHECK(d[1].loc.line == 8);  // no metadata at all: the kind
  CHECK(d[1].loc.column == 7);
}
