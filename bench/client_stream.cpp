#include "client_stream.hpp"

#include <stdexcept>

namespace loadgen {

std::unique_ptr<net::ssl::context> client_tls(const std::string& alpn) {
  auto context = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  // No session cache and no tickets: a reconnect would otherwise resume, and the
  // handshakes workload would time a cheaper handshake than a new client gets.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  std::string wire(1, static_cast<char>(alpn.size()));
  wire += alpn;
  if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                              static_cast<unsigned>(wire.size())) != 0)
    throw std::runtime_error("OpenSSL refused the ALPN protocol " + alpn);
  return context;
}

ClientStream::ClientStream(net::io_context& ioc, net::ssl::context* tls) : socket_(ioc) {
  if (tls) tls_ = std::make_unique<net::ssl::stream<tcp::socket&>>(socket_, *tls);
}

void ClientStream::connect(const tcp::endpoint& server, const net::ip::address& source, const std::string& host,
                           std::function<void(const std::string& failed, error_code)> done) {
  error_code ec;
  socket_.open(server.protocol(), ec);
  if (!ec && source != server.address()) socket_.bind(tcp::endpoint(source, 0), ec);
  if (ec) return done("socket", ec);
  socket_.async_connect(server, [this, host, done = std::move(done)](error_code e) {
    if (e) return done("connect", e);
    socket_.set_option(tcp::no_delay(true), e);
    if (!tls_) return done("", {});
    // SNI carries names only, never an address literal (RFC 6066).
    error_code not_address;
    net::ip::make_address(host, not_address);
    if (not_address) SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
    tls_->async_handshake(net::ssl::stream_base::client, [done](error_code he) {
      done(he ? "TLS handshake" : "", he);
    });
  });
}

std::string ClientStream::alpn() const {
  if (!tls_) return "";
  const unsigned char* name = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(tls_->native_handle(), &name, &length);
  return name ? std::string(reinterpret_cast<const char*>(name), length) : "";
}

void ClientStream::close() {
  error_code ignored;
  socket_.close(ignored);
}

} // namespace loadgen
