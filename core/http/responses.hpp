#pragma once
// Complete (non-streaming) responses.
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "http/safe_fields.hpp"
#include "http/shared_state.hpp"

namespace es::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
// Every field set on an answer is checked (safe_fields.hpp).
using Response = bhttp::response<bhttp::string_body, SafeFields>;

// What a reply needs of its request, kept when the request itself is gone (publishing
// answers after the commit).
struct ReplyTo {
  unsigned version;
  bool keep_alive;
  template <class Body> ReplyTo(const bhttp::request<Body>& req) : version(req.version()), keep_alive(req.keep_alive()) {}
};

Response text_response(ReplyTo to, bhttp::status status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");

// {"error": "<message>"}
Response json_error(ReplyTo to, bhttp::status status, std::string_view message);

void add_headers(Response& res, const HeaderList& headers);

// An answer after which the connection closes: what is left of the request cannot be
// trusted.
Response closing_answer(bhttp::status status, std::string_view message);

// The answer to a request that is malformed or over a limit: closing, and counted.
Response refusal(bhttp::status status, std::string_view message);

// The answer to a HEAD request: `get_answer`'s head, Content-Length included, no body.
Response head_only(Response get_answer);

} // namespace es::http
