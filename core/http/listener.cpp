#include "http/listener.hpp"

#include <stdexcept>

#include "http/admission.hpp"
#include "http/http_session.hpp"
#include "http/refusal.hpp"
#include "http/tls_accept.hpp"
#include "util/log.hpp"

namespace es::http {

namespace net = boost::asio;
using net::ip::tcp;

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
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) return; // gone already
  auto admitted = http::admit(state_, peer.address(), serves_ != Serves::publishing);
  // The publish address stays plain: it is meant for loopback or a private network.
  if (state_.tls && serves_ != Serves::publishing)
    return std::make_shared<TlsAccept>(std::move(socket), peer, std::move(admitted), state_, shard, serves_)->start();
  if (auto* refused = std::get_if<AdmissionRefused>(&admitted))
    return refuse_connection(Transport(std::move(socket)), state_, *refused);
  std::make_shared<HttpSession>(Transport(std::move(socket)), peer, std::move(std::get<ConnectionSlot>(admitted)),
                                state_, shard, serves_)
      ->run();
}

} // namespace es::http
