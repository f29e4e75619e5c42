// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the bundle payload checksum.
// Entry point: crc32c().
#pragma once

#include <cstdint>
#include <string_view>

namespace meshc::bundle {

/// CRC-32C of `data`, continuing from `crc` (0 for a fresh checksum). crc32c("123456789") is
/// 0xE3069283 (RFC 3720 B.4 check value).
uint32_t crc32c(std::string_view data, uint32_t crc = 0);
/// The same with tables only (what crc32c() uses on CPUs without SSE4.2; tests compare both).
uint32_t crc32cPortable(std::string_view data, uint32_t crc = 0);

}  // namespace meshc::bundle
