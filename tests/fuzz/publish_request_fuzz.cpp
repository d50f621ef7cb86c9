// Fuzz target: the body of POST /publish/, parsed and re-encoded as the events' data.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "publish/publish_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    es::publish::parse_publish_request({reinterpret_cast<const char*>(data), size}, "events-", 10000);
  } catch (const es::publish::BadPublishRequest&) {
  }
  return 0;
}
