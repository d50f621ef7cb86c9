#pragma once
// A stream over HTTP/1.1, in chunks; or over HTTP/1.0, to the end of the connection.
#include <array>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "http/connection_slot.hpp"
#include "stream/sink.hpp"

namespace es::http {

class Http1Sink : public stream::Sink {
public:
  Http1Sink(boost::asio::ip::tcp::socket socket, ConnectionSlot slot, unsigned http_version);

  boost::asio::any_io_executor executor() override { return socket_.get_executor(); }
  void open(const HeaderList& fields) override;
  void write(stream::WriteBatch& batch, bool last, std::shared_ptr<Owner> owner) override;
  void watch(std::shared_ptr<Owner> owner) override;
  void close() override;

private:

  boost::asio::ip::tcp::socket socket_;
  ConnectionSlot slot_;
  const bool chunked_;
  std::string head_; // until the first write is done
  std::array<char, 256> client_bytes_{};
};

} // namespace es::http
