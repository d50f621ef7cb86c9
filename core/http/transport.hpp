#pragma once
// A client connection's bytes, in the clear or over TLS: what the HTTP/1.1 session, its
// stream sink and the HTTP/2 session read and write. One type for both, so that none of
// them is a template: the TLS case costs a branch per operation, not a second copy of
// the code.
#include <utility>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace es::http {

class Transport {
public:
  using executor_type = boost::asio::any_io_executor;
  using Tls = boost::beast::ssl_stream<boost::asio::ip::tcp::socket>;

  explicit Transport(boost::asio::ip::tcp::socket socket) : stream_(std::move(socket)) {}
  explicit Transport(Tls tls) : stream_(std::move(tls)) {}
  // What a connection handed over leaves behind is a closed socket: a deadline of the
  // session that handed it over, already due, may still close it. A moved-from TLS
  // stream has no SSL object to touch.
  Transport(Transport&& other) noexcept : stream_(std::move(other.stream_)) {
    other.stream_.emplace<boost::asio::ip::tcp::socket>(get_executor());
  }
  Transport& operator=(Transport&&) = delete;

  executor_type get_executor() { return socket().get_executor(); }
  boost::asio::ip::tcp::socket& socket() {
    if (auto* plain = std::get_if<boost::asio::ip::tcp::socket>(&stream_)) return *plain;
    return std::get<Tls>(stream_).next_layer();
  }
  bool secure() const { return std::holds_alternative<Tls>(stream_); }
  Tls& tls() { return std::get<Tls>(stream_); }

  template <class MutableBuffers, class Handler> void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (auto* plain = std::get_if<boost::asio::ip::tcp::socket>(&stream_))
      return plain->async_read_some(buffers, std::forward<Handler>(handler));
    std::get<Tls>(stream_).async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <class ConstBuffers, class Handler> void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (auto* plain = std::get_if<boost::asio::ip::tcp::socket>(&stream_))
      return plain->async_write_some(buffers, std::forward<Handler>(handler));
    std::get<Tls>(stream_).async_write_some(buffers, std::forward<Handler>(handler));
  }

  // No more bytes from us: the end of a close-delimited body, or of a connection after
  // its last answer. Over TLS the TCP side is shut without a close_notify: every answer
  // is delimited by its own framing but an event stream, which a client resumes however
  // it ended.
  void shutdown_send() {
    keep_session();
    boost::system::error_code ignored;
    socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  }
  void close() {
    keep_session();
    boost::system::error_code ignored;
    socket().close(ignored);
  }

private:
  // OpenSSL forgets the session of a connection freed without a TLS close, so that a
  // truncated exchange cannot be resumed; ours end by their own framing, and a client
  // that reconnects (an EventSource does) resumes without a full handshake. Our side's
  // close is what OpenSSL asks for; marking the client's as received too would end every
  // later read at once, and what the client still sends must be read (refusal.hpp).
  void keep_session() {
    if (auto* tls = std::get_if<Tls>(&stream_))
      SSL_set_shutdown(tls->native_handle(), SSL_get_shutdown(tls->native_handle()) | SSL_SENT_SHUTDOWN);
  }

  std::variant<boost::asio::ip::tcp::socket, Tls> stream_;
};

} // namespace es::http
