#include "http/tls_accept.hpp"

#include <string_view>

#include "http/http_session.hpp"
#include "http/refusal.hpp"
#include "http2/http2_refusal.hpp"
#include "http2/http2_session.hpp"
#include "tls/server_tls.hpp"

namespace es::http {

namespace net = boost::asio;
using boost::system::error_code;

namespace {

// The first byte of every TLS record that starts a connection: a handshake record
// (RFC 8446 §5.1). HTTP starts with a method's letter.
constexpr unsigned char tls_handshake_record = 0x16;

// What a connection over the limits gets to handshake in: as long as its refusal is read.
constexpr std::chrono::seconds refused_handshake_limit{3};

} // namespace

TlsAccept::TlsAccept(net::ip::tcp::socket socket, net::ip::tcp::endpoint peer,
                     std::variant<ConnectionSlot, AdmissionRefused> admission, SharedState& state, std::size_t shard,
                     Serves serves)
    : socket_(std::move(socket)), context_(state.tls->context()), deadline_(socket_.get_executor()), peer_(peer),
      admission_(std::move(admission)), state_(state), shard_(shard), serves_(serves) {}

// Until the handshake is done the client is an unknown: it gets --header-timeout, as a
// request head does. One over the limits is not counted while it handshakes: it gets no
// longer than its refusal would be given, so that a flood of them cannot hold more
// descriptors than a flood of plain connections.
void TlsAccept::start() {
  bool refused = std::holds_alternative<AdmissionRefused>(admission_);
  deadline_.expires_after(refused ? std::min<std::chrono::steady_clock::duration>(refused_handshake_limit,
                                                                                   state_.config.header_timeout)
                                  : state_.config.header_timeout);
  deadline_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec) return;
    error_code ignored;
    self->socket_.close(ignored);
    if (self->transport_) self->transport_->close();
  });
  socket_.async_wait(net::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](error_code ec) { self->on_readable(ec); });
}

void TlsAccept::on_readable(error_code ec) {
  unsigned char first = 0;
  if (!ec) socket_.receive(net::buffer(&first, 1), net::socket_base::message_peek, ec);
  if (ec) {
    deadline_.cancel();
    return;
  }
  if (first != tls_handshake_record) {
    deadline_.cancel();
    return refuse_plain_http(Transport(std::move(socket_)), state_.stream_url);
  }
  transport_.emplace(Transport::Tls(std::move(socket_), *context_));
  transport_->tls().async_handshake(net::ssl::stream_base::server,
                                    [self = shared_from_this()](error_code handshake_ec) {
                                      self->on_handshake(handshake_ec);
                                    });
}

// A failed handshake (a scanner, an old client, a certificate the client refused) is
// the client's to report; the server just closes.
void TlsAccept::on_handshake(error_code ec) {
  deadline_.cancel();
  if (ec) return transport_->close();
  bool h2 = tls::negotiated_protocol(transport_->tls().native_handle()) == "h2";
  if (auto* refused = std::get_if<AdmissionRefused>(&admission_)) {
    if (h2) return http2::refuse_http2(std::move(*transport_), refused->why);
    return refuse_connection(std::move(*transport_), state_, *refused);
  }
  auto slot = std::move(std::get<ConnectionSlot>(admission_));
  if (h2)
    return std::make_shared<http2::Http2Session>(std::move(*transport_), peer_, std::move(slot), state_, shard_, serves_)
        ->run();
  std::make_shared<HttpSession>(std::move(*transport_), peer_, std::move(slot), state_, shard_, serves_)->run();
}

} // namespace es::http
