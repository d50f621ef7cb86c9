#pragma once
// What proves a publisher holds --publish-key (docs/protocol.md §8): the key as a Bearer
// token (eventstream send; GRIP_URL `?key=KEY`), the password of Basic credentials, or
// a Bearer HS256 JWT with an `exp` signed with the key (GRIP_URL `?iss=ISS&key=KEY`, as
// Fanout's publishers make it). A key written `base64:...` signs as the bytes it encodes.
#include <chrono>
#include <string>
#include <string_view>

#include "grip/grip_sig.hpp"

namespace es::http {

class PublishCredentials {
public:
  // Throws std::invalid_argument when a `base64:` key is not base64.
  explicit PublishCredentials(const std::string& key);

  // "" when `authorization` (a header value, not empty) proves the key at `now`; else why not.
  std::string refusal(std::string_view authorization, std::chrono::system_clock::time_point now) const;

private:
  std::string key_;   // as configured
  std::string bytes_; // as GRIP publishers use it
  grip::SignatureCheck tokens_;
};

} // namespace es::http
