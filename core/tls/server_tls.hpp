#pragma once
// The server's TLS settings: the certificate and key it serves (from --tls-cert/--tls-key,
// or a throwaway one with --tls-self-signed) and the OpenSSL context every new connection
// handshakes with. The context is a shared_ptr replaced whole on reload: a connection
// holds the one it started with, so SIGHUP never touches an open stream.
//
// What the context allows (Mozilla's "intermediate" profile, 2023):
// - TLS 1.2 and 1.3 only. TLS 1.2 uses ECDHE (and DHE) key exchange with AES-GCM or
//   ChaCha20-Poly1305, all of which HTTP/2 accepts (RFC 9113 9.2.2); TLS 1.3 keeps
//   OpenSSL's defaults. The client's cipher order is followed: it knows whether it has
//   AES hardware.
// - No compression (CRIME), no renegotiation (a client-triggered CPU cost, and never
//   needed by HTTP/2, which forbids it).
// - No session tickets: their key would live as long as the process, and whoever takes
//   it reads every recorded session. Sessions are resumed from the server's own cache
//   (OpenSSL's, per context) instead, which is what a reconnecting EventSource needs;
//   OpenSSL keeps a session there only if its connection ended with close_notify sent.
// - ALPN: "h2" when the client offers it, else "http/1.1"; a client that offers neither
//   (old tools, plain openssl s_client) still connects and speaks HTTP/1.1.
// - A peer closing without close_notify reads as an ordinary end of stream: browsers do
//   it all the time, and HTTP framing, not the TLS close, tells whether a request is whole.
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include "config/server_config.hpp"

namespace boost::asio::ssl {
class context;
}

namespace es::tls {

class ServerTls {
public:
  // From config: --tls-cert/--tls-key (PEM; the cert file may hold the chain after the
  // server's own certificate), or with --tls-self-signed a fresh certificate for
  // localhost, 127.0.0.1 and ::1 (EC P-256, 30 days). Throws std::runtime_error saying
  // which file is wrong, how, and what to do.
  explicit ServerTls(const config::ServerConfig& config);
  ~ServerTls();
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  // The context a new connection handshakes with. Thread-safe.
  std::shared_ptr<boost::asio::ssl::context> context() const;

  // Reads --tls-cert and --tls-key again (SIGHUP). A pair that would not load is refused
  // and the current context kept: returns why, or "" when the new pair is in use. With
  // --tls-self-signed there is nothing to read: "".
  std::string reload();

  // SHA-256 of the certificate served now, as "AB:CD:...", the way browsers show it.
  std::string fingerprint() const;

  bool self_signed() const { return self_signed_; }

private:
  void use(std::shared_ptr<boost::asio::ssl::context> context, std::string fingerprint);

  const bool self_signed_;
  const std::string cert_path_;
  const std::string key_path_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::string fingerprint_;
};

// The protocol ALPN settled on for this connection: "h2", "http/1.1", or "" when the
// client offered none (then it speaks HTTP/1.1).
std::string_view negotiated_protocol(SSL* ssl);

} // namespace es::tls
