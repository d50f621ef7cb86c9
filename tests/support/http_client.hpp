#pragma once

// A deliberately small, strict HTTP/1.1 client for tests: it talks to the
// server over plain sockets so that framing bugs show up instead of being
// papered over by a forgiving library.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace es::test {

using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

bool iequals(std::string_view a, std::string_view b);
// First header with that name (case-insensitive).
std::optional<std::string> find_header(const Headers& headers, std::string_view name);

struct HttpResponse {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;

  std::string header(std::string_view name) const;  // "" if absent
  bool has_header(std::string_view name) const;
};

struct ResponseHead {
  int status = 0;
  std::string reason;
  Headers headers;
};

// Offset just past the "\r\n\r\n" that ends the head, if it has arrived.
std::optional<std::size_t> find_head_end(std::string_view raw);
// Parses a head as located by find_head_end; throws std::runtime_error if malformed.
ResponseHead parse_response_head(std::string_view head);

// Incremental response-body decoder (Content-Length, chunked, or until EOF).
// Chunk framing is checked strictly (CRLF line ends, hex sizes) and violations
// throw, because catching server framing bugs is the point of these tests.
class BodyDecoder {
 public:
  BodyDecoder(const ResponseHead& head, std::string_view request_method);

  // Appends decoded bytes to `out`; returns how many bytes of `in` were used
  // (anything after the end of the body is left unconsumed).
  std::size_t feed(std::string_view in, std::string& out);
  bool complete() const { return state_ == State::done; }
  bool delimited_by_eof() const { return state_ == State::until_eof; }
  bool chunked() const { return chunked_; }
  std::optional<std::size_t> content_length() const { return content_length_; }

 private:
  enum class State { size_line, data, data_end, trailers, until_eof, done };
  void on_line(const std::string& line);

  State state_ = State::done;
  bool chunked_ = false;
  std::optional<std::size_t> content_length_;
  std::size_t remaining_ = 0;
  std::string line_;
};

// "host:port", with brackets around IPv6 literals (for Host headers and URLs).
std::string host_port(const std::string& host, int port);

// Serialises a request. A header in `defaults` is left out when `headers`
// already names it, so a test can override any default.
std::string format_request(std::string_view method, std::string_view target, const Headers& defaults,
                           const Headers& headers, std::string_view body = {});

// Connected TCP socket (close-on-exec) to a numeric IPv4/IPv6 host; throws on
// failure. rcvbuf > 0 sets SO_RCVBUF before connecting, which is when it
// still affects the advertised TCP window. A numeric `source` address (e.g. 127.0.0.2)
// is bound first, so that many connections need not share one address's ports.
int connect_tcp(const std::string& host, int port, int rcvbuf = 0, const std::string& source = "");
// Throws if the peer is gone or the data cannot be sent within timeout.
void send_all(int fd, std::string_view data, std::chrono::milliseconds timeout = std::chrono::seconds{5});

enum class RecvStatus { data, eof, timeout };
// One recv() of whatever is available, appended to `out`; waits until
// `deadline` at most. A reset connection counts as EOF.
RecvStatus recv_some(int fd, std::string& out, Clock::time_point deadline);

// One request on a fresh connection (Connection: close); throws
// std::runtime_error on connection failure, timeout or malformed responses.
HttpResponse http_request(const std::string& host, int port, const std::string& method, const std::string& target,
                          const Headers& headers = {}, const std::string& body = "",
                          std::chrono::milliseconds timeout = std::chrono::seconds{5});

// Sends raw bytes and returns everything received until the server closes
// the connection or the timeout passes (never throws on timeout).
std::string raw_exchange(const std::string& host, int port, std::string_view request,
                         std::chrono::milliseconds timeout = std::chrono::seconds{5});

}  // namespace es::test
