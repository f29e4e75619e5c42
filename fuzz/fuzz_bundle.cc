// libFuzzer target over the bundle reader (runtime/bundle): every input is read twice, as given
// and with its checksum re-sealed so mutations reach the section decoders and the tree
// verifier; whatever loads is then routed by the simulator. Entry point: LLVMFuzzerTestOneInput.
// Any input must give a specific error or a working bundle, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "bundle/bundle_reader.h"
#include "bundle/byte_io.h"
#include "bundle/format.h"
#include "sim/simulate.h"

namespace {

void exercise(const std::string& bytes) {
  meshc::bundle::BundleErrorKind kind{};
  (void)meshc::bundle::inspectBundle(bytes, "fuzz.mcb", &kind);
  meshc::Expected<meshc::bundle::Bundle> b = meshc::bundle::readBundle(bytes, "fuzz.mcb", &kind);
  if (!b) {
    return;
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
      (void)(*s)->run(*req, meshc::sim::EngineKind::kInterpreter);
      (void)(*s)->run(*req, meshc::sim::EngineKind::kReference);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  exercise(bytes);
  if (bytes.size() >= meshc::bundle::kBundleHeaderSize) {
    meshc::bundle::storeU32(bytes, meshc::bundle::HeaderOffsets::kPayloadCrc,
                            meshc::bundle::bundleChecksum(bytes));
    exercise(bytes);
  }
  return 0;
}
