#include "http/request_parser.hpp"

#include <algorithm>
#include <cctype>

#include <boost/beast/core/string.hpp>

#include "http/safe_fields.hpp"
#include "util/trim.hpp"

namespace es::http {
namespace {

// uri-host [":" port] of RFC 3986: a reg-name, an IPv4 or an [IPv6] literal.
bool is_authority(std::string_view host) {
  constexpr std::string_view allowed = "-._~!$&'()*+,;=%:[]";
  return std::all_of(host.begin(), host.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || allowed.find(c) != std::string_view::npos;
  });
}

} // namespace

std::size_t find_head_end(std::string_view bytes, std::size_t& searched) {
  for (std::size_t i = searched; i < bytes.size(); ++i) {
    if (bytes[i] != '\n') continue;
    // An empty line ends the head: "\n\n" or "\n\r\n" (a bare LF is refused later).
    if ((i >= 1 && bytes[i - 1] == '\n') || (i >= 2 && bytes[i - 1] == '\r' && bytes[i - 2] == '\n')) {
      searched = 0;
      return i + 1;
    }
  }
  searched = bytes.size();
  return std::string_view::npos;
}

std::optional<HeadProblem> raw_head_problem(std::string_view head) {
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] != '\n') continue;
    if (i == 0 || head[i - 1] != '\r')
      return HeadProblem{bhttp::status::bad_request, "a line of the request head ends in LF without CR; end every "
                                                     "line with CRLF"};
    if (i + 1 < head.size() && (head[i + 1] == ' ' || head[i + 1] == '\t'))
      return HeadProblem{bhttp::status::bad_request, "a header line starts with white space (a folded line, "
                                                     "obsolete since RFC 7230); send each field on one line"};
  }
  return std::nullopt;
}

std::optional<HeadProblem> parsed_head_problem(const Request& req) {
  if (auto te = req.find(bhttp::field::transfer_encoding); te != req.end()) {
    if (req.version() < 11)
      return HeadProblem{bhttp::status::bad_request, "Transfer-Encoding is not part of HTTP/1.0; send the body "
                                                     "with Content-Length"};
    std::string_view value(te->value().data(), te->value().size());
    if (!boost::beast::iequals(trim_ows(value), "chunked"))
      return HeadProblem{bhttp::status::not_implemented,
                         "Transfer-Encoding '" + std::string(value.substr(0, 64)) +
                             "' is not supported; send the body with Content-Length or as 'chunked' alone"};
  }
  auto hosts = req.count(bhttp::field::host);
  if (auto host = req.find(bhttp::field::host); host != req.end() && !is_authority(host->value()))
    return HeadProblem{bhttp::status::bad_request, "the Host header is not HOST[:PORT]"};
  if (hosts > 1 || (hosts == 0 && req.version() >= 11))
    return HeadProblem{bhttp::status::bad_request, hosts > 1 ? "the request has several Host headers; send one"
                                                             : "an HTTP/1.1 request needs a Host header"};
  return std::nullopt;
}

RequestParser::RequestParser(const config::ServerConfig& config) {
  body_limit(config.max_body);
  header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
}

void RequestParser::on_field_impl(bhttp::field name, boost::beast::string_view name_string,
                                  boost::beast::string_view value, boost::beast::error_code& ec) {
  if (is_header_done()) return; // a trailer field
  if (name_string.size() > max_field_size || value.size() > max_field_size) {
    ec = bhttp::error::header_limit;
    return;
  }
  get().insert(name, name_string, value);
}

std::optional<HeadProblem> oversized_head_problem(const Request& req, const config::ServerConfig& config) {
  std::size_t line = req.method_string().size() + req.target().size() + 10; // "GET  HTTP/1.1"
  if (line > config.max_request_line)
    return HeadProblem{bhttp::status::uri_too_long, "the request line is " + std::to_string(line) +
                                                        " bytes; this server takes at most " +
                                                        std::to_string(config.max_request_line) +
                                                        " (--max-request-line): use fewer or shorter parameters"};
  std::size_t fields = std::distance(req.begin(), req.end());
  if (fields > config.max_headers)
    return HeadProblem{bhttp::status::request_header_fields_too_large,
                       "the request has " + std::to_string(fields) + " header fields; this server takes at most " +
                           std::to_string(config.max_headers) + " (--max-headers)"};
  return std::nullopt;
}

HeadProblem head_too_large(const config::ServerConfig& config) {
  return {bhttp::status::request_header_fields_too_large,
          "the request head is larger than this server's --max-header-bytes of " +
              std::to_string(config.max_header_bytes) + " bytes (or has a field over " + std::to_string(max_field_size) +
              "); send fewer or smaller headers (cookies, usually)"};
}

HeadProblem body_too_large(const config::ServerConfig& config) {
  return {bhttp::status::payload_too_large, "the body is larger than this server's --max-body of " +
                                                std::to_string(config.max_body) +
                                                " bytes; send fewer events per request or raise --max-body"};
}

} // namespace es::http
