#pragma once
// GRIP_URL (docs/protocol.md §12): where a GRIP proxy takes publishes, and its keys.
// `http://localhost:5561` (Pushpin), or a Fanout realm
// `https://api.fanout.io/realm/R?iss=R&key=base64:...`.
#include <string>
#include <string_view>

namespace es::grip {

struct Proxy {
  std::string control_uri; // without the trailing '/'
  std::string iss;         // control_iss: publish with a JWT from `key`
  std::string key;         // bytes ("base64:" decoded)
  std::string verify_iss;
  std::string verify_key;
  std::string publish_url() const { return control_uri + "/publish/"; }
};

// Throws std::invalid_argument saying what is wrong with the URL.
Proxy parse_grip_url(std::string_view url);

// The Authorization header line the proxy's API wants: a fresh HS256 JWT {iss, exp} made
// with the key when the URL gives `iss` (Fanout), the key itself as a Bearer token
// without it (Fastly); "" when there is no key (Pushpin).
std::string authorization_header(const Proxy& proxy);

// A key as GRIP configurations write it: `base64:...` for binary keys, else the text
// itself. Throws std::invalid_argument naming `what` when the base64 is bad.
std::string decode_key(std::string_view value, std::string_view what);

} // namespace es::grip
