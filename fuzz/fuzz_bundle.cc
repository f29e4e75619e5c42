// libFuzzer target over the bundle reader (runtime/bundle): every input is read twice, as given
// and with its checksum re-sealed so mutations reach the section decoders and the tree
// verifier; whatever loads is then routed by the simulator. Entry point: LLVMFuzzerTestOneInput.
// Any input must give a specific error or a working bundle, never a crash or a hang. Oracles
// (abort on violation):
//  - inspect (inspectBundle) checks a prefix of what readBundle checks (it does not decode
//    routes), so: when inspect fails, readBundle fails with the same BundleErrorKind; when
//    readBundle succeeds, inspect succeeds; both report kNone exactly when they succeed.
//  - the IR interpreter, on a tree built afresh from the decoded routes (routes no compiler
//    run would produce), answers every request as the reference does over those routes.
//  - a bundle that loads with its checksum as written routes every request alike through its
//    own portable tree and the reference. A re-sealed mutation is exempt: it models a forged
//    file whose TREE or host table no longer matches its ACTN/VHST routes, which the reader
//    cannot detect without the compiler's tree builder (it verifies each section's own
//    invariants only).
#include <cstddef>
#include <cstdint>
#include <string>

#include "bundle/bundle_reader.h"
#include "bundle/byte_io.h"
#include "bundle/format.h"
#include "ir/ir.h"
#include "routing/verify.h"
#include "routing_oracle.h"
#include "sim/simulate.h"

namespace {

using meshc::bundle::BundleErrorKind;
using meshc::bundle::bundleErrorKindName;
using meshc::fuzz::oracleFailed;

void checkKindReported(bool ok, BundleErrorKind kind, const char* reader) {
  if (ok != (kind == BundleErrorKind::kNone)) {
    oracleFailed(std::string(reader) + (ok ? " succeeded" : " failed") + " but reported kind " +
                 bundleErrorKindName(kind));
  }
}

void exercise(const std::string& bytes, bool checksum_as_written) {
  BundleErrorKind inspect_kind = BundleErrorKind::kIo;  // anything but the expected value
  auto summary = meshc::bundle::inspectBundle(bytes, "fuzz.mcb", &inspect_kind);
  BundleErrorKind read_kind = BundleErrorKind::kIo;
  meshc::Expected<meshc::bundle::Bundle> b = meshc::bundle::readBundle(bytes, "fuzz.mcb", &read_kind);
  checkKindReported(static_cast<bool>(summary), inspect_kind, "inspectBundle");
  checkKindReported(static_cast<bool>(b), read_kind, "readBundle");
  if (!summary && read_kind != inspect_kind) {
    oracleFailed(std::string("inspectBundle fails with ") + bundleErrorKindName(inspect_kind) +
                 " (" + summary.status().message() + ") but readBundle " +
                 (b ? std::string("succeeds")
                    : std::string("fails with ") + bundleErrorKindName(read_kind) + " (" +
                          b.status().message() + ")"));
  }
  if (!b) {
    return;
  }
  for (size_t i = 0; i < b->programs.size(); ++i) {
    const meshc::xds::RouteConfiguration& rc = b->config.route_configs[i];
    meshc::ir::RouteProgram fresh = meshc::ir::buildRouteProgram(rc);
    if (meshc::Status st = meshc::ir::verifyRouteProgram(fresh); !st) {
      oracleFailed("the verifier refuses the tree built from decoded routes: " + st.message());
    }
    meshc::fuzz::checkEnginesAgree(rc, fresh, "interpreter");
    if (checksum_as_written) {
      meshc::fuzz::checkEnginesAgree(rc, b->programs[i], "bundle tree");
    }
  }
  auto s = meshc::sim::Simulator::create(std::move(b->config), std::move(b->programs));
  if (!s) {
    return;
  }
  for (const char* line : {"GET http://shop.example.com/api/cart", "GET https://a.b/x?y=1",
                           "POST http://localhost:8080/", "GET tcp://db:5432"}) {
    auto req = meshc::sim::parseRequestLine(line);
    if (req) {
      req->http.headers.emplace_back("x-canary", "true");
      auto x = (*s)->run(*req, meshc::sim::EngineKind::kInterpreter);
      auto y = (*s)->run(*req, meshc::sim::EngineKind::kReference);
      if (checksum_as_written && (x.outcome != y.outcome || x.vhost_index != y.vhost_index ||
                                  x.route_index != y.route_index)) {
        oracleFailed(std::string("simulate ") + line + ": interpreter and reference disagree");
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  exercise(bytes, /*checksum_as_written=*/true);
  if (bytes.size() >= meshc::bundle::kBundleHeaderSize) {
    meshc::bundle::storeU32(bytes, meshc::bundle::HeaderOffsets::kPayloadCrc,
                            meshc::bundle::bundleChecksum(bytes));
    exercise(bytes, /*checksum_as_written=*/false);
  }
  return 0;
}
