#include "http/refusal.hpp"

#include <array>
#include <chrono>
#include <memory>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/status.hpp>

#include "http/safe_fields.hpp"
#include "sse/json_text.hpp"

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

// "HTTP/1.1 <status>", `extra_fields`, a JSON error body and Connection: close.
std::string closing_answer(boost::beast::http::status status, std::string_view message,
                           const std::string& extra_fields) {
  std::string body = "{\"error\": ";
  sse::append_python_json_string(body, message);
  body += "}\n";
  return "HTTP/1.1 " + std::to_string(static_cast<unsigned>(status)) + " " +
         std::string(boost::beast::http::obsolete_reason(status)) + "\r\n" +
         header_line("Content-Type", "application/json") + extra_fields + header_line("Connection", "close") +
         header_line("Content-Length", std::to_string(body.size())) + "\r\n" + body;
}

} // namespace

void answer_and_close(Transport transport, std::string answer) {
  std::make_shared<Refusal>(std::move(transport), std::move(answer))->start();
}

void refuse_connection(Transport transport, const SharedState& state, const AdmissionRefused& refused) {
  answer_and_close(std::move(transport),
                   closing_answer(refused.status, refused.why + "; try again after Retry-After seconds",
                                  header_line("Retry-After", std::to_string(retry_after(state).count()))));
}

void refuse_plain_http(Transport transport, const std::string& https_url) {
  answer_and_close(std::move(transport),
                   closing_answer(boost::beast::http::status::bad_request,
                                  "this port serves HTTPS only; use " + https_url +
                                      " (plain HTTP sent to it is refused)",
                                  ""));
}

} // namespace es::http
