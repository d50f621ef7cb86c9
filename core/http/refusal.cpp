#include "http/refusal.hpp"

#include <array>
#include <chrono>
#include <memory>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

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

} // namespace

void answer_and_close(Transport transport, std::string answer) {
  std::make_shared<Refusal>(std::move(transport), std::move(answer))->start();
}

} // namespace es::http
