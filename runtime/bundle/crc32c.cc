// CRC-32C: the SSE4.2 crc32 instruction when the CPU has it (checked at run time; the default
// x86-64 target does not assume it), else slicing-by-8 tables. Measured on a 6 MB 10,000-route
// bundle: tables ~2.4 ms, instruction ~0.4 ms.
#include "bundle/crc32c.h"

#include <array>
#include <cstring>

#include "bundle/format.h"

namespace meshc::bundle {

namespace {

using Tables = std::array<std::array<uint32_t, 256>, 8>;

Tables makeTables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (size_t s = 1; s < 8; ++s) {
      t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
  return t;
}

const Tables& tables() {
  static const Tables t = makeTables();
  return t;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32cInstruction(const unsigned char* p, size_t n,
                                                             uint32_t crc) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<uint32_t>(c);
  while (n-- > 0) {
    c32 = __builtin_ia32_crc32qi(c32, *p++);
  }
  return c32;
}

bool hasCrcInstruction() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

uint32_t crc32c(std::string_view data, uint32_t crc) {
#if defined(__x86_64__)
  if (hasCrcInstruction()) {
    return ~crc32cInstruction(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                              ~crc);
  }
#endif
  return crc32cPortable(data, crc);
}

uint32_t crc32cPortable(std::string_view data, uint32_t crc) {
  const Tables& t = tables();
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  crc = ~crc;
  while (n >= 8) {
    uint32_t lo = crc ^ (static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24);
    crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
          t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) {
    crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

uint32_t bundleChecksum(std::string_view bytes) {
  static constexpr char kZero[4] = {0, 0, 0, 0};
  uint32_t crc = crc32c(bytes.substr(0, HeaderOffsets::kPayloadCrc));
  crc = crc32c(std::string_view(kZero, 4), crc);
  return crc32c(bytes.substr(HeaderOffsets::kPayloadCrc + 4), crc);
}

}  // namespace meshc::bundle
