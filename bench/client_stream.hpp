// A load generator connection's bytes, in the clear or over TLS (OpenSSL through
// boost::asio::ssl). The bench's servers use throwaway certificates, so none is checked:
// what is measured is the server's cost, and a verification would only add the client's.
// No session is resumed: every connection makes a full handshake, as a new visitor does.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

namespace loadgen {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

// A client context offering one ALPN protocol ("h2" or "http/1.1"); TLS 1.2 and 1.3.
std::unique_ptr<net::ssl::context> client_tls(const std::string& alpn);

class ClientStream {
public:
  // `tls` null: in the clear. The context outlives the stream.
  ClientStream(net::io_context& ioc, net::ssl::context* tls);

  tcp::socket& socket() { return socket_; }
  bool tls() const { return tls_ != nullptr; }

  // Opens the socket from `source` (unless it is the server's own address) and connects;
  // then, over TLS, handshakes. The handler gets the step that failed ("" when none).
  void connect(const tcp::endpoint& server, const net::ip::address& source, const std::string& host,
               std::function<void(const std::string& failed, error_code)> done);

  template <class Buffers, class Handler> void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) tls_->async_read_some(buffers, std::forward<Handler>(handler));
    else socket_.async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <class Buffers, class Handler> void async_write(const Buffers& buffers, Handler&& handler) {
    if (tls_) net::async_write(*tls_, buffers, std::forward<Handler>(handler));
    else net::async_write(socket_, buffers, std::forward<Handler>(handler));
  }

  // The protocol ALPN chose ("" in the clear or when the server chose none).
  std::string alpn() const;
  void close();

private:
  tcp::socket socket_;
  std::unique_ptr<net::ssl::stream<tcp::socket&>> tls_;
};

} // namespace loadgen
