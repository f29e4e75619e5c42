// Tests for the routing bundle: format round trip, determinism, the fixed-order checks with one
// error class each (truncation, header fields, checksum, section table, contents, tree), and
// that simulating from a bundle answers exactly as simulating from the manifests.
#include <catch2/catch.hpp>
#include <set>

#include "bundle/bundle_reader.h"
#include "bundle/crc32c.h"
#include "bundle_test_util.h"

using namespace meshc;
using bundle::BundleErrorKind;

namespace {

const std::string& shopYaml() {
  static const std::string yaml = testing::readSample("samples/shop");
  return yaml;
}

const std::string& gatewayBundle() {
  static const std::string bytes = testing::compileYaml(shopYaml(), testing::shopGateway()).bytes;
  return bytes;
}

BundleErrorKind readKind(const std::string& bytes, std::string* message = nullptr) {
  BundleErrorKind kind{};
  Expected<bundle::Bundle> b = bundle::readBundle(bytes, "routes.mcb", &kind);
  if (message != nullptr) {
    *message = b ? "" : b.status().message();
  }
  return kind;
}

size_t entryAt(size_t i) { return bundle::kBundleHeaderSize + i * bundle::kSectionEntrySize; }

}  // namespace

TEST_CASE("CRC-32C matches the RFC 3720 check value", "[bundle]") {
  CHECK(bundle::crc32c("123456789") == 0xE3069283u);
  CHECK(bundle::crc32c("") == 0u);
  // Chunked and whole computations agree (the slicing path and the byte path).
  std::string data(1000, 'x');
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>(i * 7);
  }
  CHECK(bundle::crc32c(data) == bundle::crc32c(data.substr(3), bundle::crc32c(data.substr(0, 3))));
  // The instruction path (when the CPU has it) and the table path agree at every length.
  for (size_t n = 0; n < 40; ++n) {
    CHECK(bundle::crc32c(data.substr(n, 100 + n)) ==
          bundle::crc32cPortable(data.substr(n, 100 + n)));
  }
  CHECK(bundle::crc32cPortable("123456789") == 0xE3069283u);
}

TEST_CASE("a bundle read back re-encodes to identical bytes", "[bundle]") {
  for (const auto& proxy : {testing::shopGateway(), testing::shopSidecar()}) {
    testing::Compiled c = testing::compileYaml(shopYaml(), proxy);
    Expected<bundle::Bundle> b = bundle::readBundle(c.bytes, "routes.mcb");
    REQUIRE(b.hasValue());
    CHECK(b->header.compiler_version == "0.1.0-test");
    CHECK(b->source_files == std::vector<std::string>{"test.yaml"});
    emit::BundleInputs in;
    in.config = &b->config;
    in.programs = &b->programs;
    in.source_files = b->source_files;
    in.compiler_version = b->header.compiler_version;
    in.input_hash = b->header.input_hash;
    CHECK(emit::writeBundle(in) == c.bytes);
  }
}

TEST_CASE("the same inputs compile to byte-identical bundles", "[bundle]") {
  std::string a = testing::compileYaml(shopYaml(), testing::shopSidecar()).bytes;
  std::string b = testing::compileYaml(shopYaml(), testing::shopSidecar()).bytes;
  CHECK(a == b);
  std::string other = testing::compileYaml(shopYaml() + "\n", testing::shopSidecar()).bytes;
  CHECK(a != other);  // the input hash changes
}

TEST_CASE("simulating from a bundle answers as simulating from the manifests", "[bundle]") {
  const char* requests[] = {
      "GET https://shop.example.com/products",       "GET https://shop.example.com/api/cart/1",
      "GET http://shop.example.com/products",        "GET https://shop.example.com/checkout.php",
      "POST https://shop.example.com/static/x.css",  "GET https://other.example.com/",
      "GET http://frontend.shop.svc.cluster.local/", "GET http://api.payments.example.net/",
      "GET https://api.payments.example.net/charge", "GET http://unknown.example.org:8080/x",
  };
  for (const auto& proxy : {testing::shopGateway(), testing::shopSidecar()}) {
    testing::Compiled c = testing::compileYaml(shopYaml(), proxy);
    Expected<bundle::Bundle> b = bundle::readBundle(c.bytes, "routes.mcb");
    REQUIRE(b.hasValue());
    auto from_bundle = sim::Simulator::create(std::move(b->config), std::move(b->programs));
    REQUIRE(from_bundle.hasValue());
    for (const char* line : requests) {
      for (bool canary : {false, true}) {
        Expected<sim::SimRequest> req = sim::parseRequestLine(line);
        REQUIRE(req.hasValue());
        if (canary) {
          req->http.headers.emplace_back("x-canary", "true");
        }
        for (auto engine : {sim::EngineKind::kInterpreter, sim::EngineKind::kReference}) {
          sim::SimResult want = c.simulator->run(*req, engine);
          sim::SimResult got = (*from_bundle)->run(*req, engine);
          INFO(line << " canary=" << canary);
          CHECK(sim::outcomeName(got.outcome) == std::string(sim::outcomeName(want.outcome)));
          CHECK(got.listener == want.listener);
          CHECK(got.route_config == want.route_config);
          CHECK(got.virtual_host == want.virtual_host);
          CHECK(got.route == want.route);
          CHECK(got.virtual_service == want.virtual_service);
          CHECK(got.source == want.source);
          CHECK(got.cluster == want.cluster);
          CHECK(got.weighted_clusters == want.weighted_clusters);
          CHECK(got.status == want.status);
          CHECK(got.redirect_location == want.redirect_location);
          CHECK(got.rewritten_path == want.rewritten_path);
          CHECK(got.trace == want.trace);
        }
      }
    }
  }
}

TEST_CASE("truncation at every offset is refused as too short or a size mismatch", "[bundle]") {
  const std::string& full = gatewayBundle();
  for (size_t n = 0; n < full.size(); ++n) {
    BundleErrorKind kind = readKind(full.substr(0, n));
    INFO("truncated to " << n << " bytes");
    CHECK(kind == (n < bundle::kBundleHeaderSize ? BundleErrorKind::kTooShort
                                                 : BundleErrorKind::kSizeMismatch));
  }
  std::string message;
  readKind(full.substr(0, 12), &message);
  CHECK(message == "routes.mcb: the file is 12 bytes, shorter than the 80-byte bundle header");
  readKind(full.substr(0, 4000), &message);
  CHECK(message == "routes.mcb: header says the bundle is " + std::to_string(full.size()) +
                       " bytes, the file is 4000 (truncated?)");
}

TEST_CASE("each corrupted header field gives its own error", "[bundle]") {
  using H = bundle::HeaderOffsets;
  struct Case {
    size_t offset;
    uint32_t value;
    BundleErrorKind want;
  };
  const Case cases[] = {
      {H::kMagic, 0x4c4c4548, BundleErrorKind::kBadMagic},
      {H::kVersion, 6, BundleErrorKind::kUnsupportedVersion},
      {H::kVersion, 4, BundleErrorKind::kUnsupportedVersion},
      {H::kVersion, 3, BundleErrorKind::kUnsupportedVersion},
      {H::kVersion, 2, BundleErrorKind::kUnsupportedVersion},
      {H::kVersion, 1, BundleErrorKind::kUnsupportedVersion},
      {H::kHeaderSize, 64, BundleErrorKind::kBadHeaderSize},
      {H::kTotalSize, 99, BundleErrorKind::kSizeMismatch},
      {H::kReserved0, 1, BundleErrorKind::kReservedNonZero},
      {H::kReserved1 + 4, 7, BundleErrorKind::kReservedNonZero},
      {H::kFlags, 0x80, BundleErrorKind::kReservedNonZero},
      {H::kPayloadCrc, 0x12345678, BundleErrorKind::kChecksumMismatch},
      {H::kCompilerVersion, 0x2e392e39, BundleErrorKind::kChecksumMismatch},
      {H::kInputHash, 1, BundleErrorKind::kChecksumMismatch},
      {H::kSectionCount, 3, BundleErrorKind::kChecksumMismatch},
  };
  for (const Case& c : cases) {
    std::string bytes = gatewayBundle();
    bundle::storeU32(bytes, c.offset, c.value);
    INFO("field at byte " << c.offset);
    CHECK(bundle::bundleErrorKindName(readKind(bytes)) ==
          std::string(bundle::bundleErrorKindName(c.want)));
  }
  std::string bytes = gatewayBundle();
  bundle::storeU32(bytes, H::kVersion, 6);
  std::string message;
  readKind(bytes, &message);
  CHECK(message ==
        "routes.mcb: bundle format version 6 (written by meshc 0.1.0-test); this reader "
        "understands version 5 only: load it with that meshc, or recompile the bundle with this "
        "one");
  bytes = gatewayBundle();
  bundle::storeU32(bytes, H::kVersion, 1);
  readKind(bytes, &message);
  CHECK(message ==
        "routes.mcb: bundle format version 1 (written by meshc 0.1.0-test) is older than this "
        "reader's version 5, which adds consistent-hash cookie TTL/path/attributes, subset "
        "labels, ring-hash and Maglev sizes, trusted proxies, DestinationRule connection pools "
        "and outlier detection, TCP proxy idle timeouts, gateway TLS settings: recompile the "
        "bundle with this meshc");
  bytes = gatewayBundle();
  bundle::storeU32(bytes, H::kVersion, 2);
  readKind(bytes, &message);
  CHECK(message ==
        "routes.mcb: bundle format version 2 (written by meshc 0.1.0-test) is older than this "
        "reader's version 5, which adds DestinationRule connection pools and outlier detection, "
        "TCP proxy idle timeouts, gateway TLS settings: recompile the bundle with this meshc");
  bytes = gatewayBundle();
  bundle::storeU32(bytes, H::kVersion, 3);
  readKind(bytes, &message);
  CHECK(message ==
        "routes.mcb: bundle format version 3 (written by meshc 0.1.0-test) is older than this "
        "reader's version 5, which adds TCP proxy idle timeouts, gateway TLS settings: recompile "
        "the bundle with this meshc");
  bytes = gatewayBundle();
  bundle::storeU32(bytes, H::kVersion, 4);
  readKind(bytes, &message);
  CHECK(message ==
        "routes.mcb: bundle format version 4 (written by meshc 0.1.0-test) is older than this "
        "reader's version 5, which adds gateway TLS settings: recompile the bundle with this "
        "meshc");
  bytes = gatewayBundle();
  bytes[0] = 'X';
  readKind(bytes, &message);
  CHECK(message ==
        "routes.mcb: not a meshc routing bundle (magic \"XESHCRB\\x1a\", expected "
        "\"MESHCRB\\x1a\")");
}

TEST_CASE("a flipped bit anywhere is a checksum mismatch", "[bundle]") {
  const std::string& full = gatewayBundle();
  for (size_t at = bundle::kBundleHeaderSize; at < full.size(); ++at) {
    std::string bytes = full;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x10);
    INFO("byte " << at);
    REQUIRE(readKind(bytes) == BundleErrorKind::kChecksumMismatch);
  }
}

TEST_CASE("section table problems are refused with their own error", "[bundle]") {
  const std::string& full = gatewayBundle();
  auto withEntry = [&](size_t entry, size_t field, uint64_t value, bool wide) {
    std::string bytes = full;
    if (wide) {
      bundle::storeU64(bytes, entryAt(entry) + field, value);
    } else {
      bundle::storeU32(bytes, entryAt(entry) + field, static_cast<uint32_t>(value));
    }
    testing::reseal(bytes);
    return bytes;
  };
  uint64_t second_offset = bundle::loadU64(full, entryAt(1) + 8);
  std::string message;
  // The second section starting 8 bytes early overlaps the first.
  CHECK(readKind(withEntry(1, 8, second_offset - 8, true), &message) ==
        BundleErrorKind::kSectionOverlap);
  CHECK(message.find("section PRXY starts at " + std::to_string(second_offset - 8) +
                     ", inside section STRS") != std::string::npos);
  CHECK(readKind(withEntry(1, 8, second_offset + 4, true)) == BundleErrorKind::kSectionOverlap);
  CHECK(readKind(withEntry(6, 16, 1u << 20, true), &message) ==
        BundleErrorKind::kSectionOutOfBounds);
  CHECK(readKind(withEntry(0, 8, 16, true)) == BundleErrorKind::kSectionOverlap);
  CHECK(readKind(withEntry(2, 0, static_cast<uint32_t>(bundle::SectionKind::kProxy), false)) ==
        BundleErrorKind::kBadSectionTable);  // duplicate kind
  CHECK(readKind(withEntry(2, 0, 0x41414141, false)) == BundleErrorKind::kBadSectionTable);
  CHECK(readKind(withEntry(2, 4, 1, false)) == BundleErrorKind::kBadSectionTable);
  // The native-code flag without a NATV section.
  std::string flagged = full;
  bundle::storeU32(
      flagged, bundle::HeaderOffsets::kFlags,
      bundle::loadU32(flagged, bundle::HeaderOffsets::kFlags) | bundle::kFlagNativeCode);
  testing::reseal(flagged);
  CHECK(readKind(flagged) == BundleErrorKind::kBadSectionTable);
  // Fewer sections than the table has: the last section's bytes trail the new last one.
  std::string fewer = full;
  bundle::storeU32(fewer, bundle::HeaderOffsets::kSectionCount, 6);
  testing::reseal(fewer);
  CHECK(readKind(fewer, &message) == BundleErrorKind::kBadSectionTable);
  uint64_t smap_size = bundle::loadU64(full, entryAt(6) + 16);
  uint64_t smap_offset = bundle::loadU64(full, entryAt(6) + 8);
  uint64_t clst_end =
      bundle::loadU64(full, entryAt(5) + 8) + bundle::loadU64(full, entryAt(5) + 16);
  CHECK(message == "routes.mcb: " + std::to_string(smap_offset + smap_size - clst_end) +
                       " bytes follow the last section");
}

TEST_CASE("any byte changed behind a valid checksum is refused cleanly or still reads",
          "[bundle]") {
  // Reaches every decoder with hostile values; under ASan this is the crash test.
  const std::string& full = gatewayBundle();
  std::set<BundleErrorKind> allowed = {BundleErrorKind::kNone,
                                       BundleErrorKind::kBadMagic,
                                       BundleErrorKind::kUnsupportedVersion,
                                       BundleErrorKind::kBadHeaderSize,
                                       BundleErrorKind::kSizeMismatch,
                                       BundleErrorKind::kReservedNonZero,
                                       BundleErrorKind::kBadSectionTable,
                                       BundleErrorKind::kSectionOutOfBounds,
                                       BundleErrorKind::kSectionOverlap,
                                       BundleErrorKind::kMalformedSection,
                                       BundleErrorKind::kInvalidTree};
  std::map<BundleErrorKind, int> seen;
  for (size_t at = 0; at < full.size(); ++at) {
    if (at >= bundle::HeaderOffsets::kPayloadCrc && at < bundle::HeaderOffsets::kPayloadCrc + 4) {
      continue;
    }
    for (uint8_t x : {0x01, 0x80, 0xff}) {
      std::string bytes = full;
      bytes[at] = static_cast<char>(bytes[at] ^ x);
      testing::reseal(bytes);
      BundleErrorKind kind = readKind(bytes);
      INFO("byte " << at << " xor " << int(x));
      REQUIRE(allowed.count(kind) == 1);
      ++seen[kind];
    }
  }
  CHECK(seen[BundleErrorKind::kMalformedSection] > 0);
  CHECK(seen[BundleErrorKind::kInvalidTree] > 0);
}

TEST_CASE("a decision tree that breaks an invariant is refused by the verifier", "[bundle]") {
  testing::Compiled c = testing::compileYaml(shopYaml(), testing::shopGateway());
  std::vector<ir::RouteProgram> programs;
  for (size_t i = 0; i < c.simulator->config().route_configs.size(); ++i) {
    programs.push_back(c.simulator->program(i));
  }
  // File the first route of the first virtual host nowhere: it could never be selected.
  bool changed = false;
  for (ir::CandidateSet& set : programs[0].virtual_hosts[0].sets) {
    if (!set.routes.empty() && set.routes.front() == 0) {
      set.routes.erase(set.routes.begin());
      changed = true;
      break;
    }
  }
  REQUIRE(changed);
  emit::BundleInputs in;
  in.config = &c.simulator->config();
  in.programs = &programs;
  in.source_files = {"test.yaml"};
  std::string message;
  CHECK(readKind(emit::writeBundle(in), &message) == BundleErrorKind::kInvalidTree);
  CHECK(message.rfind("routes.mcb: route configuration https.443.https.shop-gateway.shop: ", 0) ==
        0);
}

TEST_CASE("inspect reads the header, listeners and route counts", "[bundle]") {
  BundleErrorKind kind{};
  Expected<bundle::BundleSummary> s = bundle::inspectBundle(gatewayBundle(), "routes.mcb", &kind);
  REQUIRE(s.hasValue());
  CHECK(kind == BundleErrorKind::kNone);
  CHECK(s->header.format_version == bundle::kBundleFormatVersion);
  CHECK(s->sections.size() == 7);
  CHECK(s->listeners.size() == 2);
  REQUIRE(s->route_configs.size() == 2);
  CHECK(s->route_configs[0].name == "https.443.https.shop-gateway.shop");
  CHECK(s->route_configs[0].routes == 5);
  CHECK_FALSE(s->native.has_value());
  std::string bad = gatewayBundle();
  bad[200] = static_cast<char>(bad[200] ^ 1);
  CHECK_FALSE(bundle::inspectBundle(bad, "routes.mcb", &kind).hasValue());
  CHECK(kind == BundleErrorKind::kChecksumMismatch);
}
