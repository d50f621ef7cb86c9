#pragma once
// A client connection until it becomes a stream: reads requests (HTTP/1.1 keep-alive),
// routes them, answers the ordinary ones, and hands the socket to a StreamSession for
// a stream request.
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http/connection_slot.hpp"
#include "http/request_parser.hpp"
#include "http/responses.hpp"
#include "http/serves.hpp"
#include "http/shared_state.hpp"
#include "stream/stream_request.hpp"

namespace es::http {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
  // `shard` is the hub shard of the I/O thread that runs `socket`; `peer` is its client;
  // `serves`, what the listener that accepted it serves.
  HttpSession(boost::asio::ip::tcp::socket socket, boost::asio::ip::tcp::endpoint peer, ConnectionSlot slot,
              SharedState& state, std::size_t shard, Serves serves);
  void run();

private:
  void read_request();
  void read_head();
  std::string_view buffered() const; // what buffer_ holds: the next request's first bytes
  void on_head(std::string_view head);
  void on_header(boost::beast::error_code ec);
  void on_read(boost::beast::error_code ec);
  bool closed_quietly(boost::beast::error_code ec); // the client left or timed out: shut down
  void route(Request& req);
  void fail(const std::exception& e); // what escaped the handling of a request: 500, close
  bool from_grip_proxy(const Request& req) const; // logs a Grip-Sig that does not verify
  void ask_webhook(Request& req, stream::StreamPlan plan);
  // A stream of its own, or for a proxied request the answer that has the proxy hold it.
  void serve_stream(Request& req, stream::StreamPlan plan);
  void answer_proxied(Request& req, stream::StreamPlan plan);
  void answer_readiness();
  void respond(Response res);

  ConnectionSlot slot_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_; // bounded: a head, or a trailer, cannot grow it past the limit
  std::size_t head_searched_ = 0;     // bytes of buffer_ find_head_end has looked at
  bool start_line_checked_ = false;   // of the head being read
  SharedState& state_;
  std::size_t shard_;
  Serves serves_;
  boost::asio::ip::tcp::endpoint peer_;
  std::optional<RequestParser> parser_;
  std::shared_ptr<Response> response_; // alive until its write completes
  bool answering_publish_ = false;     // counted in SharedState::publishes_unanswered
  bool answering_head_ = false;        // the answer goes without its body
  std::string request_id_;             // of the request being answered, for the access log
  std::string request_line_;
};

} // namespace es::http
