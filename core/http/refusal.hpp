#pragma once
// The last words to a connection that is not served (over a connection limit, or plain
// HTTP sent to an HTTPS port): `answer` is written, the sending side shut, and what the
// client still sends read and thrown away until it closes, for a few seconds at most.
// Closing with unread bytes would reset the connection, and the reset could destroy the
// answer before the client reads it.
#include <string>

#include "http/admission.hpp"
#include "http/shared_state.hpp"
#include "http/transport.hpp"

namespace es::http {

void answer_and_close(Transport transport, std::string answer);

// An HTTP/1.1 503 or 429 with a jittered Retry-After.
void refuse_connection(Transport transport, const SharedState& state, const AdmissionRefused& refused);

// A 400 in the clear that says to use `https_url`.
void refuse_plain_http(Transport transport, const std::string& https_url);

} // namespace es::http
