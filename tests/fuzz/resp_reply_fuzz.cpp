// Fuzz target: bytes from Redis, read into replies. The first byte splits the rest into
// two reads, so replies that straddle reads are covered too.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "redis/resp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t split = data[0] % (bytes.size() + 1);
  es::redis::ReplyReader reader;
  try {
    reader.feed(bytes.substr(0, split));
    while (reader.next()) {
    }
    reader.feed(bytes.substr(split));
    while (reader.next()) {
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
