// Fuzz target: the form-encoded body of a Mercure publish (topic, data, private, id, type,
// retry), as any publisher with a token can send it.
#include <cstddef>
#include <cstdint>

#include "mercure/publish_form.hpp"
#include "mercure/update.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto update = es::mercure::read_publish_form({reinterpret_cast<const char*>(data), size}, "/.well-known/mercure");
    if (update.id.empty()) update.id = "urn:uuid:fuzz";
    auto item = es::mercure::publish_item(update);
    es::mercure::stored_update_event(1, update.id, item.data);
  } catch (const es::mercure::BadPublish&) {
  }
  return 0;
}
