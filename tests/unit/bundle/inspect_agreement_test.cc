// inspectBundle (what `meshc inspect` reads) and readBundle (what simulate --bundle and the
// runtime read) must give the same error class for the same damaged bundle. inspect checks a
// prefix of what readBundle checks, so: when inspect fails, readBundle fails the same way.
#include <catch2/catch.hpp>

#include "bundle/bundle_reader.h"
#include "bundle_test_util.h"

using namespace meshc;
using bundle::BundleErrorKind;

namespace {

// The shop gateway's bundle with a stand-in native-code section (the reader checks its
// sub-header, not the object) and, when `break_tree`, a decision tree the verifier refuses.
std::string bundleWithNative(bool break_tree) {
  testing::Compiled c =
      testing::compileYaml(testing::readSample("samples/shop"), testing::shopGateway());
  std::vector<ir::RouteProgram> programs;
  for (size_t i = 0; i < c.simulator->config().route_configs.size(); ++i) {
    programs.push_back(c.simulator->program(i));
  }
  if (break_tree) {
    // File the first route nowhere: it could never be selected, so the verifier refuses it.
    for (ir::CandidateSet& set : programs[0].virtual_hosts[0].sets) {
      if (!set.routes.empty() && set.routes.front() == 0) {
        set.routes.erase(set.routes.begin());
        break;
      }
    }
  }
  emit::BundleInputs in;
  in.config = &c.simulator->config();
  in.programs = &programs;
  in.source_files = {"test.yaml"};
  emit::NativeCode native;
  native.platform.triple = "x86_64-pc-linux-gnu";
  native.platform.cpu = "x86-64";
  native.platform.llvm_version = "19.1.7";
  native.platform.symbol_prefix = "meshc_route_";
  native.object = "not really an object";
  native.function_count = static_cast<uint32_t>(programs.size());
  in.native = native;
  return emit::writeBundle(in);
}

// Sets the NATV sub-header version to one no reader knows, keeping the checksum valid.
void breakNativeSubHeader(std::string& bytes) {
  Expected<bundle::BundleSummary> s = bundle::inspectBundle(bytes, "routes.mcb");
  REQUIRE(s.hasValue());
  for (const bundle::SectionEntry& e : s->sections) {
    if (e.kind == static_cast<uint32_t>(bundle::SectionKind::kNativeCode)) {
      bundle::storeU32(bytes, e.offset, 99);
    }
  }
  testing::reseal(bytes);
}

}  // namespace

TEST_CASE("inspect and the full reader agree on a bundle whose native code and tree are both "
          "broken",
          "[bundle]") {
  // Found by fuzz_bundle's inspect/read oracle: inspect decodes the NATV sub-header right after
  // the virtual hosts, readBundle only after the tree, actions, clusters, source map and the
  // verifier, so the same file was "native-code-invalid" to `meshc inspect` and "invalid-tree"
  // to `meshc simulate --bundle`.
  std::string bytes = bundleWithNative(/*break_tree=*/true);
  breakNativeSubHeader(bytes);
  BundleErrorKind inspect_kind{}, read_kind{};
  CHECK_FALSE(bundle::inspectBundle(bytes, "routes.mcb", &inspect_kind).hasValue());
  Expected<bundle::Bundle> b = bundle::readBundle(bytes, "routes.mcb", &read_kind);
  CHECK_FALSE(b.hasValue());
  CHECK(bundle::bundleErrorKindName(inspect_kind) ==
        std::string(bundle::bundleErrorKindName(BundleErrorKind::kNativeCodeInvalid)));
  CHECK(bundle::bundleErrorKindName(read_kind) ==
        std::string(bundle::bundleErrorKindName(inspect_kind)));
}

TEST_CASE("a broken tree alone fails only the full reader, which inspect does not decode",
          "[bundle]") {
  std::string bytes = bundleWithNative(/*break_tree=*/true);
  testing::reseal(bytes);
  BundleErrorKind inspect_kind{}, read_kind{};
  CHECK(bundle::inspectBundle(bytes, "routes.mcb", &inspect_kind).hasValue());
  CHECK(inspect_kind == BundleErrorKind::kNone);
  CHECK_FALSE(bundle::readBundle(bytes, "routes.mcb", &read_kind).hasValue());
  CHECK(read_kind == BundleErrorKind::kInvalidTree);
}

TEST_CASE("the stand-in native section reads back whole when nothing is broken", "[bundle]") {
  std::string bytes = bundleWithNative(/*break_tree=*/false);
  BundleErrorKind kind{};
  Expected<bundle::Bundle> b = bundle::readBundle(bytes, "routes.mcb", &kind);
  REQUIRE(b.hasValue());
  REQUIRE(b->native.has_value());
  CHECK(b->native->triple == "x86_64-pc-linux-gnu");
  CHECK(b->native_object == "not really an object");
}
