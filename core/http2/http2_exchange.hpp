#pragma once
// One HTTP/2 stream's request and its answer. The request is built as HTTP/1.1 would
// have read it (a Beast request, version 11: :method, :path as the target, :authority as
// Host, the cookie crumbs joined) and bounded the same way: --max-header-bytes,
// --max-headers, --max-request-line, --max-body, --header-timeout and the request
// timeout. A refusal (4xx) answers and resets this stream only; the connection goes on.
// The answer goes out as HEADERS and, unless empty, DATA from the Response's own body.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/steady_timer.hpp>

#include "http/exchange.hpp"
#include "http/request_parser.hpp"
#include "http2/body_cursor.hpp"
#include "http2/http2_stream.hpp"

namespace es::http2 {

class Http2Session;

class Http2Exchange final : public http::Exchange, public Http2Stream {
public:
  Http2Exchange(std::shared_ptr<Http2Session> session, std::int32_t id);
  ~Http2Exchange() override;

  // From the session's callbacks, in the order nghttp2 decodes the request.
  void start(); // its header block began
  void add_field(std::string_view name, std::string_view value);
  void on_head(bool over_limit); // `over_limit`: the block passed --max-header-bytes
  void on_body(const std::uint8_t* data, std::size_t size);
  void on_end(); // END_STREAM: the request is complete
  // The write carrying the answer's end is done, or the stream closed.
  void on_answer_written();

  ssize_t next_data(std::size_t max, std::uint32_t& flags) override;
  void take_data(std::size_t length, stream::WriteBatch& out) override;
  void on_close(std::uint32_t error_code) override;

private:
  boost::asio::any_io_executor executor() override;
  void send(http::Response res) override;
  http::Request& request() override { return req_; }
  std::unique_ptr<stream::Sink> become_stream(const http::Request& req) override;

  void refuse(const http::HeadProblem& problem);
  void answer_handed(); // nghttp2 took the answer's last byte
  void release_body();
  void expires_after(std::chrono::steady_clock::duration timeout);

  std::shared_ptr<Http2Session> session_;
  const std::int32_t id_;
  http::Request req_;
  std::string authority_;
  std::string cookies_;
  bool field_too_large_ = false;
  bool request_ended_ = false; // END_STREAM came
  bool handled_ = false;
  bool refused_ = false;       // answered before its end: the rest of it is dropped
  bool answering_ = false;     // an answer is submitted and not yet written
  bool waiting_ = false;       // counted in the session's waiting streams
  bool closed_ = false;
  std::size_t body_counted_ = 0; // of the session's body_bytes
  std::optional<http::Response> response_;
  BodyCursor body_;
  boost::asio::steady_timer deadline_;
};

} // namespace es::http2
