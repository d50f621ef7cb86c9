#pragma once
// Reading a request strictly (RFC 9112). Beast's parser does the parsing; what it would
// let through, or throw on, is refused here:
// - the head is read whole before it is parsed, so its raw bytes can be checked: a
//   folded header line (obs-fold) or a line ending in a bare LF gets 400, since a proxy
//   in front may read such a head differently from us;
// - a Transfer-Encoding other than exactly "chunked" gets 501, and an HTTP/1.1 request
//   needs exactly one Host;
// - trailer fields are dropped, never merged into the request's headers, where they
//   could carry credentials past a proxy that checked only the head;
// - a field too large for Beast's fields (64 KiB) is a header_limit error, not a throw.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "config/server_config.hpp"

namespace es::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;

// Why a request is refused before it is routed: its status and what to tell the client.
struct HeadProblem {
  bhttp::status status;
  std::string message;
};

// Where the head at the start of `bytes` ends (just after its empty line), or npos while
// it is incomplete. `searched` is how far earlier calls looked; it is updated.
std::size_t find_head_end(std::string_view bytes, std::size_t& searched);

// A complete head (as find_head_end delimits it) that must be refused for its bytes.
std::optional<HeadProblem> raw_head_problem(std::string_view head);

// A parsed head that must be refused for its framing or its Host.
std::optional<HeadProblem> parsed_head_problem(const Request& req);

// A request over --max-request-line or --max-headers (SECURITY.md).
std::optional<HeadProblem> oversized_head_problem(const Request& req, const config::ServerConfig& config);

// A head over --max-header-bytes, or with a field over Beast's limit: 431.
HeadProblem head_too_large(const config::ServerConfig& config);
// A body over --max-body: 413.
HeadProblem body_too_large(const config::ServerConfig& config);

class RequestParser : public bhttp::parser<true, bhttp::string_body> {
public:
  // With the limits of --max-body and --max-header-bytes.
  explicit RequestParser(const config::ServerConfig& config);

private:
  void on_field_impl(bhttp::field name, boost::beast::string_view name_string, boost::beast::string_view value,
                     boost::beast::error_code& ec) override;
};

} // namespace es::http
