#include "http/connection_refusal.hpp"

#include <array>
#include <chrono>
#include <memory>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "http/safe_fields.hpp"
#include "sse/json_text.hpp"
#include "stream/reconnect_delay.hpp"

namespace es::http {

namespace net = boost::asio;

namespace {

class Refusal : public std::enable_shared_from_this<Refusal> {
public:
  Refusal(Transport transport, std::string answer)
      : transport_(std::move(transport)), timer_(transport_.get_executor()), answer_(std::move(answer)) {}

  void start() {
    timer_.expires_after(std::chrono::seconds(3));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code) { self->transport_.close(); });
    net::async_write(transport_, net::buffer(answer_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) {
        self->timer_.cancel();
        return;
      }
      self->transport_.shutdown_send();
      self->drain();
    });
  }

private:
  void drain() {
    transport_.async_read_some(net::buffer(sink_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) {
        self->timer_.cancel();
        return;
      }
      self->drain();
    });
  }

  Transport transport_;
  net::steady_timer timer_;
  std::string answer_;
  std::array<char, 1024> sink_{};
};

std::string closing_answer(const char* status_line, const std::string& message, const std::string& extra_fields) {
  std::string body = "{\"error\": ";
  sse::append_python_json_string(body, message);
  body += "}\n";
  return std::string(status_line) + "\r\n" + header_line("Content-Type", "application/json") + extra_fields +
         header_line("Connection", "close") + header_line("Content-Length", std::to_string(body.size())) + "\r\n" +
         body;
}

} // namespace

void refuse_connection(Transport transport, const SharedState& state, const Refused& refused) {
  auto seconds = std::chrono::ceil<std::chrono::seconds>(
      stream::reconnect_delay(std::max(state.config.retry, std::chrono::milliseconds(1000))));
  auto answer = closing_answer(refused.status_line, refused.why + "; try again after Retry-After seconds",
                               header_line("Retry-After", std::to_string(seconds.count())));
  std::make_shared<Refusal>(std::move(transport), std::move(answer))->start();
}

void refuse_plain_http(Transport transport, const std::string& https_url) {
  auto answer = closing_answer("HTTP/1.1 400 Bad Request",
                               "this port serves HTTPS only; use " + https_url + " (plain HTTP sent to it is refused)",
                               "");
  std::make_shared<Refusal>(std::move(transport), std::move(answer))->start();
}

} // namespace es::http
