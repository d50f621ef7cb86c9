#pragma once
// Redis Cluster's slot of a key: CRC16 (XMODEM) of the key, or of its hash tag (the text
// between the first '{' and the first '}' after it, when not empty), modulo 16384.
#include <cstdint>
#include <string_view>

namespace es::redis {

inline constexpr std::uint16_t slot_count = 16384;

std::uint16_t key_slot(std::string_view key);

} // namespace es::redis
