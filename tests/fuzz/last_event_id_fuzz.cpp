// Fuzz target: a client's Last-Event-ID header (or lastEventId query value), as is.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sse/event_id.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  es::sse::parse_last_id({reinterpret_cast<const char*>(data), size});
  return 0;
}
