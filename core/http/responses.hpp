#pragma once
// Complete (non-streaming) responses.
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "http/shared_state.hpp"

namespace es::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

Response text_response(const Request& req, bhttp::status status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");

// {"error": "<message>"}
Response json_error(const Request& req, bhttp::status status, std::string_view message);

void add_headers(Response& res, const HeaderList& headers);

} // namespace es::http
