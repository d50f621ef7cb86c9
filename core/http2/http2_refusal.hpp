#pragma once
// For a TLS connection that negotiated h2 but is over --max-connections (the listener
// refuses HTTP/1.1 ones with a 503): the server's SETTINGS and a GOAWAY (NO_ERROR, no
// stream processed, so a client may retry every request elsewhere) whose debug data
// says `why`; then the connection is closed as http/refusal.hpp closes it.
#include <string>

#include "http/transport.hpp"

namespace es::http2 {

void refuse_http2(http::Transport transport, const std::string& why);

} // namespace es::http2
