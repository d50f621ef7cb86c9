#pragma once
// Where a stream's bytes go: the transport under it. The stream session decides what to
// write and when; a sink frames it for its protocol and owns the connection. HTTP/1.1
// implements it (http/http1_sink.hpp); TLS and HTTP/2 are meant to.
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include "http/header_list.hpp"
#include "stream/write_batch.hpp"

namespace es::stream {

class Sink {
public:
  // The stream, told what became of its writes. A sink holds it only while an operation
  // is in flight: through a pointer, not a std::function, which would allocate per write.
  class Owner {
  public:
    virtual void on_written(boost::system::error_code ec) = 0;
    virtual void on_gone() = 0;

  protected:
    ~Owner() = default;
  };

  virtual ~Sink() = default;

  // The executor of the connection: every call is made, and every callback runs, on it.
  virtual boost::asio::any_io_executor executor() = 0;

  // The answer's head: status 200, Content-Type text/event-stream and `fields`. It goes
  // out with the first write.
  virtual void open(const http::HeaderList& fields) = 0;

  // Writes `batch` (which may be empty when the head or the end is all there is). One
  // write at a time; `owner->on_written` runs when it is written or failed. `last`: the
  // stream ends with it, and the sink says so to the client.
  virtual void write(WriteBatch& batch, bool last, std::shared_ptr<Owner> owner) = 0;

  // `owner->on_gone` runs once when the client hangs up (or the connection fails or is
  // closed).
  virtual void watch(std::shared_ptr<Owner> owner) = 0;

  // Closes the connection; pending callbacks run with an error.
  virtual void close() = 0;
};

} // namespace es::stream
