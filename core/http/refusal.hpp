#pragma once
// The last words to a connection that is not served (over a connection limit): `answer`
// is written, the sending side shut, and what the client still sends read and thrown away
// until it closes, for a few seconds at most. Closing with unread bytes would reset the
// connection, and the reset could destroy the answer before the client reads it.
#include <string>

#include "http/transport.hpp"

namespace es::http {

void answer_and_close(Transport transport, std::string answer);

} // namespace es::http
