#include "http/http_session.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include <boost/asio/dispatch.hpp>

#include "http/http1_sink.hpp"
#include "http2/http2_session.hpp"
#include "http2/preface.hpp"

namespace es::http {

namespace net = boost::asio;
namespace beast = boost::beast;

// How long a request's body may take once its head arrived, and an answer to be written.
constexpr std::chrono::seconds request_timeout{60};
// Room past --max-header-bytes in the read buffer: what a body's chunk framing needs.
constexpr std::size_t buffer_slack = 16 * 1024;

HttpSession::HttpSession(Transport transport, net::ip::tcp::endpoint peer, ConnectionSlot slot, SharedState& state,
                         std::size_t shard, Serves serves)
    : Exchange(state, shard, serves, peer), slot_(std::move(slot)), transport_(std::move(transport)),
      deadline_(transport_.get_executor()), buffer_(state.config.max_header_bytes + buffer_slack) {}

void HttpSession::run() {
  net::dispatch(transport_.get_executor(), [self = self()] { self->read_request(); });
}

// Closing the socket ends the operation waiting on it, with operation_aborted.
// Every request moves the deadline (three times: head, body, answer), and moving a timer
// costs a timerfd_settime and a cancelled wait: so the timer is moved only when the
// deadline comes earlier, and when it fires early it waits again for the later one.
// Deadlines of a connection's successive steps only grow, so a busy connection costs one
// timer wake per --header-timeout.
void HttpSession::expires_after(std::chrono::steady_clock::duration timeout) {
  deadline_at_ = std::chrono::steady_clock::now() + timeout;
  if (deadline_armed_ && deadline_at_ >= deadline_.expiry()) return;
  deadline_armed_ = true;
  deadline_.expires_at(deadline_at_);
  wait_for_deadline();
}

void HttpSession::wait_for_deadline() {
  deadline_.async_wait([self = self()](beast::error_code ec) {
    if (ec) return; // cancelled: the session ended, or the deadline came earlier
    if (std::chrono::steady_clock::now() < self->deadline_at_) {
      self->deadline_.expires_at(self->deadline_at_);
      return self->wait_for_deadline();
    }
    self->transport_.close();
  });
}

// The head first, within --header-timeout (a client sending it slowly holds a
// connection for nothing), then the body, if any, within request_timeout.
void HttpSession::read_request() {
  parser_.emplace(state_.config);
  start_line_checked_ = false;
  expires_after(state_.config.header_timeout);
  read_head();
}

// The head is gathered whole before Beast parses it, so that its raw bytes can be
// checked (request_parser.hpp). A pipelined request may be in the buffer already.
void HttpSession::read_head() {
  auto bytes = buffered();
  // An HTTP/2 client with prior knowledge (h2c) opens with the client preface; the
  // connection is then the HTTP/2 session's.
  if (first_request_) {
    auto preface = http2::match_preface(bytes);
    if (preface == http2::Preface::whole) return become_http2();
    if (preface == http2::Preface::partial) return read_more();
  }
  // Empty lines before a request line (a client ending a body with an extra CRLF) are
  // not a request (RFC 9112 §2.2).
  while (bytes.starts_with("\r\n")) {
    buffer_.consume(2);
    head_searched_ = 0;
    bytes = buffered();
  }
  if (auto end = find_head_end(bytes, head_searched_); end != std::string_view::npos)
    return on_head(bytes.substr(0, end));
  if (buffer_.size() >= state_.config.max_header_bytes) return on_header(bhttp::error::header_limit);
  // What is not HTTP at all (a Redis client at the wrong port, say) gets its 400 as soon
  // as the request line is in, not when a head that never comes times out.
  if (!start_line_checked_ && bytes.find('\n') != std::string_view::npos) {
    start_line_checked_ = true;
    beast::error_code ec;
    RequestParser(state_.config).put(net::buffer(bytes.data(), bytes.find('\n') + 1), ec);
    if (ec && ec != bhttp::error::need_more) return on_header(ec);
  }
  read_more();
}

void HttpSession::read_more() {
  auto room = std::min<std::size_t>(4096, buffer_.max_size() - buffer_.size());
  transport_.async_read_some(buffer_.prepare(room), [self = self()](beast::error_code ec, std::size_t n) {
    self->buffer_.commit(n);
    if (ec) return self->on_header(ec);
    self->read_head();
  });
}

void HttpSession::become_http2() {
  deadline_.cancel();
  std::make_shared<http2::Http2Session>(std::move(transport_), peer_, std::move(slot_), state_, shard_, serves_,
                                        std::string(buffered()))
      ->run();
}

std::string_view HttpSession::buffered() const {
  return {static_cast<const char*>(buffer_.data().data()), buffer_.size()};
}

void HttpSession::on_head(std::string_view head) {
  first_request_ = false;
  if (auto problem = raw_head_problem(head)) return respond(refusal(problem->status, problem->message));
  beast::error_code ec;
  auto used = parser_->put(net::buffer(head.data(), head.size()), ec);
  buffer_.consume(used);
  on_header(ec);
}

void HttpSession::on_header(beast::error_code ec) {
  if (closed_quietly(ec)) return;
  if (ec == bhttp::error::header_limit) {
    auto problem = head_too_large(state_.config);
    return respond(refusal(problem.status, problem.message));
  }
  if (ec) return on_read(ec);
  if (auto problem = parsed_head_problem(parser_->get())) return respond(refusal(problem->status, problem->message));
  if (auto problem = oversized_head_problem(parser_->get(), state_.config))
    return respond(refusal(problem->status, problem->message));
  if (parser_->is_done()) return on_read(ec);
  expires_after(request_timeout);
  bhttp::async_read(transport_, buffer_, *parser_,
                    [self = self()](beast::error_code read_ec, std::size_t) { self->on_read(read_ec); });
}

bool HttpSession::closed_quietly(beast::error_code ec) {
  if (ec != bhttp::error::end_of_stream && ec != beast::error::timeout && ec != net::error::operation_aborted &&
      ec != net::error::connection_reset && ec != net::error::eof && ec != net::error::bad_descriptor)
    return false;
  deadline_.cancel();
  transport_.shutdown_send();
  return true;
}

void HttpSession::on_read(beast::error_code ec) {
  if (closed_quietly(ec)) return;
  if (ec == bhttp::error::body_limit) { // the rest of the body is still on the wire: closed after the answer
    auto problem = body_too_large(state_.config);
    return respond(refusal(problem.status, problem.message));
  }
  if (ec == bhttp::error::buffer_overflow)
    return respond(refusal(bhttp::status::request_header_fields_too_large,
                           "the request's chunk framing or trailer is larger than this server's "
                           "--max-header-bytes; send the body with Content-Length"));
  if (ec) return respond(refusal(bhttp::status::bad_request, "malformed HTTP request: " + ec.message()));
  handle(parser_->get());
}

void HttpSession::send(Response res) {
  response_ = std::make_shared<Response>(std::move(res));
  expires_after(request_timeout);
  bhttp::async_write(transport_, *response_, [self = self()](beast::error_code ec, std::size_t) {
    self->answered();
    if (ec || self->response_->need_eof()) {
      self->deadline_.cancel();
      self->transport_.shutdown_send();
      return;
    }
    self->read_request();
  });
}

std::unique_ptr<stream::Sink> HttpSession::become_stream(const Request& req) {
  deadline_.cancel();
  return std::make_unique<Http1Sink>(std::move(transport_), std::move(slot_), req.version());
}

} // namespace es::http
