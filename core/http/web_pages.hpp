#pragma once
// What the server has for people rather than programs: the browser client script and the
// live viewer page a browser gets when it opens a stream URL.
#include "http/responses.hpp"

namespace es::http {

// A browser navigating to a stream URL asks for HTML; EventSource asks for
// text/event-stream, curl for anything.
bool wants_viewer(const Request& req);

Response viewer_page(const Request& req);
Response client_script(const Request& req);

} // namespace es::http
