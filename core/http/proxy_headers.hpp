#pragma once
// Whether a request came through a proxy. A proxy on this machine (Pushpin, nginx, an
// ngrok agent) connects from loopback whoever its client is, so the peer address says
// nothing about the client once one of these headers shows a proxy forwarded it.
#include <string_view>

#include "http/responses.hpp"

namespace es::http {

// The first header in `req` that a proxy adds when it forwards a request, whether it
// verifies or not (Pushpin's Grip-Sig and Grip-Feature, Forwarded, X-Forwarded-For and
// its kin, X-Real-IP, Via), or "" when none does. A proxy that adds none (nginx's bare
// proxy_pass) cannot be told from a local client: --publish-addr is for that case.
std::string_view proxy_header(const Request& req);

} // namespace es::http
