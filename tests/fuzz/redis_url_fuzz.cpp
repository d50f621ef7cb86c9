// Fuzz target: a Redis URL (--redis: one server or a cluster), and its description in messages.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "redis/redis_url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    es::redis::parse_redis_target({reinterpret_cast<const char*>(data), size}).describe();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
