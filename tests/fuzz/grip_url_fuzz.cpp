// Fuzz target: a GRIP_URL (--grip-url), and the Authorization its keys make.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "grip/grip_url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto proxy = es::grip::parse_grip_url({reinterpret_cast<const char*>(data), size});
    es::grip::authorization_header(proxy);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
