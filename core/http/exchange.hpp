#pragma once
// One request and its answer, whichever protocol carries them: an HTTP/1.1 connection
// (one exchange after another) or an HTTP/2 stream (many at once on a connection). It
// routes the request and answers it, or hands it over to a StreamSession as a stream;
// the protocol writes the answer and makes the stream's sink.
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http/responses.hpp"
#include "http/serves.hpp"
#include "http/shared_state.hpp"
#include "stream/sink.hpp"
#include "stream/stream_request.hpp"

namespace es::http {

// "127.0.0.1:5000", "[::1]:5000": for logs.
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& ep);

class Exchange : public std::enable_shared_from_this<Exchange> {
public:
  virtual ~Exchange() = default;

protected:
  // `shard` is the hub shard of the I/O thread that runs this exchange; `peer` is its
  // client; `serves`, what the listener that accepted it serves.
  Exchange(SharedState& state, std::size_t shard, Serves serves, boost::asio::ip::tcp::endpoint peer);

  // Routes `req`, which must stay alive until the answer is sent: answers it (through
  // send), or makes it a stream (through become_stream). What it throws is answered
  // with a 500.
  void handle(Request& req);
  // Stamps the answer with its request id, logs it, cuts it to its head for HEAD and
  // sends it.
  void respond(Response res);
  // The protocol calls it when the answer is written, or failed.
  void answered();

  // The executor of the connection: every call is made on it.
  virtual boost::asio::any_io_executor executor() = 0;
  virtual void send(Response res) = 0;
  virtual Request& request() = 0; // the request being handled
  // The connection (HTTP/1.1) or the stream (HTTP/2) becomes `req`'s event stream; or
  // null when the protocol refused it and answered `req` itself (an HTTP/2 stream counts
  // against the connection limits, which an HTTP/1.1 connection passed at accept).
  virtual std::unique_ptr<stream::Sink> become_stream(const Request& req) = 0;

  SharedState& state_;
  const std::size_t shard_;
  const Serves serves_;
  const boost::asio::ip::tcp::endpoint peer_;

private:
  void route(Request& req);
  void fail(const std::exception& e); // what escaped the handling of a request: 500, close
  bool from_grip_proxy(const Request& req) const; // logs a Grip-Sig that does not verify
  void ask_mapper(Request& req, const stream::RouteTable::Match& match, std::string path, QueryParams query,
                  bool proxied);
  // plan_stream with `channels`, then the webhook (--auth-url) if it must be asked.
  void plan_and_serve(Request& req, std::vector<std::string> channels, const QueryParams& query, bool proxied);
  void ask_webhook(Request& req, stream::StreamPlan plan);
  // A stream of its own, or for a proxied request the answer that has the proxy hold it.
  void serve_stream(Request& req, stream::StreamPlan plan);
  void serve_mercure(Request& req, const Target& target); // the Mercure hub's paths (mercure_endpoint.hpp)
  void answer_proxied(Request& req, stream::StreamPlan plan);
  void answer_readiness();

  bool answering_publish_ = false; // counted in SharedState::publishes_unanswered
  bool answering_head_ = false;    // the answer goes without its body
  std::string request_id_;         // of the request being answered, for the access log
  std::string request_line_;
};

} // namespace es::http
