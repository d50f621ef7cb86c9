#pragma once
// Answering a connection that will not be served: one over a connection limit
// (--max-connections, --max-connections-per-address), or plain HTTP sent to an HTTPS
// port. The answer is written, what the client sends is read and dropped for a few
// seconds, and the connection closes: closing with unread bytes would reset it and could
// destroy the answer before the client reads it.
#include <string>

#include "http/shared_state.hpp"
#include "http/transport.hpp"

namespace es::http {

struct Refused {
  const char* status_line; // "HTTP/1.1 503 Service Unavailable"
  std::string why;         // ends "(--flag N)"
};

// The answer, with a jittered Retry-After.
void refuse_connection(Transport transport, const SharedState& state, const Refused& refused);

// A 400 in the clear that says to use `https_url`.
void refuse_plain_http(Transport transport, const std::string& https_url);

} // namespace es::http
