// Fuzz target: the claims of a Mercure token whose signature verified (its payload), as
// the hub reads what it grants: the 0.x `mercure` claim and the 1.0 `authorization_details`.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "auth/jwt.hpp"
#include "mercure/grants.hpp"
#include "util/json_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rapidjson::Document payload;
  if (!es::read_json(payload, {reinterpret_cast<const char*>(data), size}).empty() || !payload.IsObject()) return 0;
  try {
    auto grants = es::mercure::read_grants(payload, "https://hub.example/.well-known/mercure");
    grants.may_publish({"https://example.com/books/1"});
    grants.may_receive({"https://example.com/books/1", "urn:x"});
    (void)grants.payload_for(es::mercure::Selector::exact("https://example.com/books/1"));
  } catch (const es::auth::TokenError&) {
  }
  return 0;
}
