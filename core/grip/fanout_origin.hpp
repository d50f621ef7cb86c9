#pragma once
// Telling a Fanout Cloud realm where its origin is (docs/protocol.md §15): `POST
// <realm>/http/default/`, form-encoded, authenticated as for publishing. This is what
// `serve-ngrok` does with the ngrok tunnel before serving.
#include <string>

#include "grip/grip_url.hpp"
#include "grip/ngrok.hpp"

namespace es::grip {

// `<control_uri>/http/default/`. Throws std::runtime_error when the proxy is not a
// Fanout realm (`.../realm/<id>` with `iss` and `key`).
std::string set_origin_url(const Proxy& proxy);

// host=..&port=..&ssl_host=..&ssl_port=..&rewrite_host=true&over_http=true, without the
// fields of a missing http or https tunnel.
std::string set_origin_body(const Origin& origin);

// Throws std::runtime_error with the realm API's status and message when it refuses.
void set_origin(const Proxy& proxy, const Origin& origin);

} // namespace es::grip
