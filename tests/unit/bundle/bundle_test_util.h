// Test helpers for bundles: compile the shop sample (or inline YAML) for one proxy into bundle
// bytes, and patch bytes while keeping the checksum valid.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bundle/bundle_reader.h"
#include "bundle/byte_io.h"
#include "bundle/codec.h"
#include "bundle/format.h"
#include "emit/bundle_writer.h"
#include "frontend/model/model.h"
#include "lower/proxy_config.h"
#include "sim/simulate.h"
#include "test_util.h"

namespace meshc::testing {

inline std::string readSample(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(MESHC_SOURCE_DIR) + "/" + dir)) {
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::string all;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    all += "---\n" + ss.str() + "\n";
  }
  return all;
}

inline lower::ProxyIdentity shopGateway() {
  lower::ProxyIdentity p;
  p.kind = lower::ProxyIdentity::Kind::kGateway;
  p.name_space = "istio-system";
  p.labels = {{"istio", "ingressgateway"}};
  return p;
}

inline lower::ProxyIdentity shopSidecar() {
  lower::ProxyIdentity p;
  p.kind = lower::ProxyIdentity::Kind::kSidecar;
  p.name_space = "shop";
  p.labels = {{"app", "web"}};
  return p;
}

/// A simulator built from YAML, and the bundle written from exactly its config and trees.
struct Compiled {
  std::unique_ptr<sim::Simulator> simulator;
  std::string bytes;
};

inline Compiled compileYaml(const std::string& yaml, const lower::ProxyIdentity& proxy) {
  Loaded l(yaml);
  model::ConfigSet config = model::buildConfigSet(l.resources(), frontend::MeshConfig{});
  auto s = sim::Simulator::create(lower::buildProxyConfig(config, proxy).config);
  REQUIRE(s.hasValue());
  Compiled c;
  c.simulator = std::move(*s);
  std::vector<ir::RouteProgram> programs;
  for (size_t i = 0; i < c.simulator->config().route_configs.size(); ++i) {
    programs.push_back(c.simulator->program(i));
  }
  emit::BundleInputs in;
  in.config = &c.simulator->config();
  in.programs = &programs;
  in.source_files = {"test.yaml"};
  in.compiler_version = "0.1.0-test";
  in.input_hash = emit::hashInputs({yaml});
  c.bytes = emit::writeBundle(in);
  return c;
}

/// Re-seals the checksum after a test edits bytes (to reach the checks after the CRC).
inline void reseal(std::string& bytes) {
  bundle::storeU32(bytes, bundle::HeaderOffsets::kPayloadCrc, bundle::bundleChecksum(bytes));
}

/// Encodes `value` with the shared codec, decodes it into a fresh T and returns that.
template <typename T>
T roundTrip(T value) {
  bundle::ByteWriter out;
  bundle::StringTable strings;
  bundle::EncodeIo enc(out, strings);
  bundle::code(enc, value);
  std::vector<std::string_view> views(strings.strings().begin(), strings.strings().end());
  bundle::ByteReader in(out.buffer());
  bundle::DecodeIo dec(in, views);
  T back{};
  bundle::code(dec, back);
  REQUIRE(in.ok());
  return back;
}

/// The bytes of a committed golden bundle, `rel` under the source tree
/// ("tests/golden/bundle/v3/shop-gateway.mcb").
inline std::string goldenBytes(const std::string& rel) {
  Expected<std::string> bytes = bundle::readFileBytes(std::string(MESHC_SOURCE_DIR) + "/" + rel);
  REQUIRE(bytes.hasValue());
  return *bytes;
}

/// A committed golden bundle of today's format, read with today's reader.
inline bundle::Bundle readGoldenBundle(const std::string& rel) {
  Expected<bundle::Bundle> b = bundle::readBundle(goldenBytes(rel), "shop-gateway.mcb");
  REQUIRE(b.hasValue());
  return std::move(*b);
}

/// A committed golden of an older format (`rel` under the source tree): inspect and the full
/// reader both refuse it as kUnsupportedVersion with exactly `message`.
inline void checkGoldenRefused(const std::string& rel, const std::string& message) {
  const std::string bytes = goldenBytes(rel);
  for (bool summary : {false, true}) {
    bundle::BundleErrorKind kind{};
    Status st = summary ? bundle::inspectBundle(bytes, "shop-gateway.mcb", &kind).status()
                        : bundle::readBundle(bytes, "shop-gateway.mcb", &kind).status();
    INFO("inspect=" << summary);
    CHECK(kind == bundle::BundleErrorKind::kUnsupportedVersion);
    CHECK(st.code() == StatusCode::kUnsupported);
    CHECK(st.message() == message);
  }
}

}  // namespace meshc::testing
