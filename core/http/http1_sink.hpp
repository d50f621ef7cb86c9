#pragma once
// A stream over HTTP/1.1, in chunks; or over HTTP/1.0, to the end of the connection.
#include <array>
#include <string>

#include "http/connection_slot.hpp"
#include "http/transport.hpp"
#include "stream/sink.hpp"

namespace es::http {

class Http1Sink : public stream::Sink {
public:
  Http1Sink(Transport transport, ConnectionSlot slot, unsigned http_version);

  boost::asio::any_io_executor executor() override { return transport_.get_executor(); }
  void open(const HeaderList& fields) override;
  void write(stream::WriteBatch& batch, bool last, std::shared_ptr<Owner> owner) override;
  void watch(std::shared_ptr<Owner> owner) override;
  void close() override;

private:
  Transport transport_;
  ConnectionSlot slot_;
  const bool chunked_;
  std::string head_; // until the first write is done
  // Where the hang-up watch reads. An SSE client sends nothing after its request, so this
  // is only room to notice the end: every idle stream carries it.
  std::array<char, 16> client_bytes_{};
};

} // namespace es::http
