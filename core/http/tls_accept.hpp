#pragma once
// An accepted connection on an HTTPS port, until it speaks a protocol: the TLS handshake
// within --header-timeout, then what ALPN chose (an Http2Session for "h2", else an
// HttpSession) or, for a connection over a limit, its refusal in that protocol. A client
// that sends plain HTTP instead of a TLS ClientHello gets a 400 in the clear that names
// the https:// URL, never a byte of a stream.
#include <memory>
#include <variant>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http/admission.hpp"
#include "http/connection_slot.hpp"
#include "http/serves.hpp"
#include "http/shared_state.hpp"
#include "http/transport.hpp"

namespace es::http {

class TlsAccept : public std::enable_shared_from_this<TlsAccept> {
public:
  TlsAccept(boost::asio::ip::tcp::socket socket, boost::asio::ip::tcp::endpoint peer,
            std::variant<ConnectionSlot, AdmissionRefused> admission, SharedState& state, std::size_t shard, Serves serves);
  void start();

private:
  void on_readable(boost::system::error_code ec);
  void on_handshake(boost::system::error_code ec);

  boost::asio::ip::tcp::socket socket_; // until the first byte says it is TLS
  std::shared_ptr<boost::asio::ssl::context> context_; // the certificate as it was at accept
  std::optional<Transport> transport_;
  boost::asio::steady_timer deadline_;
  boost::asio::ip::tcp::endpoint peer_;
  std::variant<ConnectionSlot, AdmissionRefused> admission_;
  SharedState& state_;
  std::size_t shard_;
  Serves serves_;
};

} // namespace es::http
