#pragma once
// An HTTP/1.1 connection until it becomes a stream: reads requests (keep-alive), has each
// handled as an Exchange, writes the answers, and hands the connection to a
// StreamSession for a stream request, or to an Http2Session when it opens with HTTP/2's
// client preface (h2c with prior knowledge; there is no Upgrade: h2c).
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http/connection_slot.hpp"
#include "http/exchange.hpp"
#include "http/request_parser.hpp"
#include "http/transport.hpp"

namespace es::http {

class HttpSession final : public Exchange {
public:
  HttpSession(Transport transport, boost::asio::ip::tcp::endpoint peer, ConnectionSlot slot, SharedState& state,
              std::size_t shard, Serves serves);
  void run();

private:
  std::shared_ptr<HttpSession> self() { return std::static_pointer_cast<HttpSession>(shared_from_this()); }
  void read_request();
  void read_head();
  void read_more(); // of the head
  void become_http2(); // the client preface came: HTTP/2 with prior knowledge
  std::string_view buffered() const; // what buffer_ holds: the next request's first bytes
  void on_head(std::string_view head);
  void on_header(boost::beast::error_code ec);
  void on_read(boost::beast::error_code ec);
  bool closed_quietly(boost::beast::error_code ec); // the client left or timed out: shut down
  // The connection closes unless the next step comes within `timeout`.
  void expires_after(std::chrono::steady_clock::duration timeout);
  void wait_for_deadline();

  boost::asio::any_io_executor executor() override { return transport_.get_executor(); }
  void send(Response res) override;
  Request& request() override { return parser_->get(); }
  std::unique_ptr<stream::Sink> become_stream(const Request& req) override;

  ConnectionSlot slot_;
  Transport transport_;
  boost::asio::steady_timer deadline_;       // fires at or before deadline_at_
  std::chrono::steady_clock::time_point deadline_at_;
  bool deadline_armed_ = false;
  boost::beast::flat_buffer buffer_; // bounded: a head, or a trailer, cannot grow it past the limit
  std::size_t head_searched_ = 0;     // bytes of buffer_ find_head_end has looked at
  bool start_line_checked_ = false;   // of the head being read
  bool first_request_ = true;         // only the first bytes of a connection may be HTTP/2's preface
  std::optional<RequestParser> parser_;
  std::shared_ptr<Response> response_; // alive until its write completes
};

} // namespace es::http
