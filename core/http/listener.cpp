#include "http/listener.hpp"

#include <array>
#include <stdexcept>

#include <boost/asio/write.hpp>

#include "http/http_session.hpp"
#include "http/safe_fields.hpp"
#include "stream/reconnect_delay.hpp"
#include "util/log.hpp"

namespace es::http {

namespace net = boost::asio;
using net::ip::tcp;

namespace {

// Answers a connection over the limit and closes it. The request is read (and thrown
// away) until the client closes, for a few seconds at most: closing with unread bytes
// would reset the connection and could destroy the answer before the client reads it.
class Refusal : public std::enable_shared_from_this<Refusal> {
public:
  Refusal(tcp::socket socket, std::string answer)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), answer_(std::move(answer)) {}

  void start() {
    timer_.expires_after(std::chrono::seconds(3));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code) {
      boost::system::error_code ignored;
      self->socket_.close(ignored);
    });
    net::async_write(socket_, net::buffer(answer_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) {
        self->timer_.cancel();
        return;
      }
      self->socket_.shutdown(tcp::socket::shutdown_send, ec);
      self->drain();
    });
  }

private:
  void drain() {
    socket_.async_read_some(net::buffer(sink_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) {
        self->timer_.cancel();
        return;
      }
      self->drain();
    });
  }

  tcp::socket socket_;
  net::steady_timer timer_;
  std::string answer_;
  std::array<char, 1024> sink_{};
};

// Answers `status_line` (without CRLF) with a jittered Retry-After and closes; `why`
// ends "(--flag N)".
void refuse(tcp::socket socket, const SharedState& state, const char* status_line, const std::string& why) {
  auto seconds = std::chrono::ceil<std::chrono::seconds>(stream::reconnect_delay(std::max(
                                                              state.config.retry, std::chrono::milliseconds(1000))));
  std::string body = "{\"error\": \"" + why + "; try again after Retry-After seconds\"}\n";
  std::string answer = std::string(status_line) + "\r\n" + header_line("Content-Type", "application/json") +
                       header_line("Retry-After", std::to_string(seconds.count())) +
                       header_line("Connection", "close") + header_line("Content-Length", std::to_string(body.size())) +
                       "\r\n" + body;
  std::make_shared<Refusal>(std::move(socket), std::move(answer))->start();
}

} // namespace

Listener::Listener(net::any_io_executor executor, const tcp::endpoint& endpoint, SharedState& state, Serves serves)
    : acceptor_(std::move(executor)), retry_timer_(acceptor_.get_executor()), state_(state), serves_(serves) {
  boost::system::error_code ec;
  auto fail = [&](const char* step) {
    throw std::runtime_error(std::string("cannot listen on ") + endpoint.address().to_string() + " port " +
                             std::to_string(endpoint.port()) + " (" + step + ": " + ec.message() +
                             "); pick another address or port, or stop what is using it");
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) fail("open");
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) fail("reuse_address");
  acceptor_.bind(endpoint, ec);
  if (ec) fail("bind");
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("listen");
}

void Listener::start() { accept(); }

void Listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
  });
}

void Listener::accept() {
  std::size_t shard = next_shard_++ % state_.hubs.size();
  acceptor_.async_accept(state_.hubs.executor(shard), [self = shared_from_this(), shard](boost::system::error_code ec,
                                                                                         tcp::socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) {
      // Out of file descriptors, usually: wait a little instead of spinning on the error.
      static std::atomic<std::int64_t> last_logged{0};
      log_once_a_minute(last_logged, LogLevel::warn, "accept failed: " + ec.message() + "; retrying in 100 ms");
      self->retry_timer_.expires_after(std::chrono::milliseconds(100));
      --self->next_shard_;
      self->retry_timer_.async_wait([self](boost::system::error_code wait_ec) {
        if (!wait_ec) self->accept();
      });
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    self->accept(); // first: should admitting throw, the listener still accepts
    self->admit(std::move(socket), shard);
  });
}

// The publish address answers the application: it is not limited, so that clients filling
// the public address cannot lock publishing out (it belongs on loopback or a private
// network, docs/deployment.md).
void Listener::admit(tcp::socket socket, std::size_t shard) {
  auto& metrics = metrics::metrics();
  bool limited = serves_ != Serves::publishing;
  if (limited &&
      static_cast<std::size_t>(metrics.connections_open.load(std::memory_order_relaxed)) >= state_.max_connections) {
    metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
    static std::atomic<std::int64_t> last_logged{0};
    auto limit = std::to_string(state_.max_connections);
    log_once_a_minute(last_logged, LogLevel::warn,
                      "refusing connections with 503: " + limit + " are open (--max-connections)");
    refuse(std::move(socket), state_, "HTTP/1.1 503 Service Unavailable",
           "this server holds its most connections (--max-connections " + limit + ")");
    return;
  }
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) return; // gone already
  std::string address_key;
  if (limited && state_.addresses.limit()) {
    address_key = AddressLimit::key(peer.address());
    if (!state_.addresses.admit(address_key)) {
      metrics.connections_refused_per_address.fetch_add(1, std::memory_order_relaxed);
      static std::atomic<std::int64_t> last_logged{0};
      auto limit = std::to_string(state_.addresses.limit());
      log_once_a_minute(last_logged, LogLevel::warn,
                        "refusing connections with 429: " + peer.address().to_string() + " holds " + limit +
                            " (--max-connections-per-address)");
      refuse(std::move(socket), state_, "HTTP/1.1 429 Too Many Requests",
             "your address holds its most connections (--max-connections-per-address " + limit + ")");
      return;
    }
  }
  std::make_shared<HttpSession>(Transport(std::move(socket)), peer, ConnectionSlot(state_.addresses, std::move(address_key)),
                                state_, shard, serves_)
      ->run();
}

} // namespace es::http
