#pragma once
// Whether a request came through one of our GRIP proxies (docs/protocol.md §10). The proxy signs
// every request it forwards with `Grip-Sig`, an HS256 JWT with `exp` (and `iss`) made
// with a key it shares with us; it strips any Grip-Sig a client sent. A request whose
// Grip-Sig does not verify is a direct client, never trusted with proxy answers.
//
// Unlike django-grip, a proxy configured without any key is not trusted blindly: anyone
// could then make the server answer with instructions instead of a stream.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "grip/grip_url.hpp"

namespace es::grip {

class SignatureCheck {
public:
  // The keys of `proxies` (verify-key, else key) and `extra_key` (--grip-sig-key) if
  // not empty; an `iss` is required only where the proxy's URL gives verify-iss.
  SignatureCheck(const std::vector<Proxy>& proxies, const std::string& extra_key);

  bool enabled() const { return !keys_.empty(); }

  // "" when `grip_sig` verifies against one of the keys at `now`; else why not. Only
  // when enabled().
  std::string refusal(std::string_view grip_sig, std::chrono::system_clock::time_point now) const;

private:
  struct Key {
    std::string secret;
    std::string iss; // required issuer; empty: any
  };
  std::vector<Key> keys_;
};

} // namespace es::grip
