#pragma once
// What an HTTP/2 session asks of one of its streams: first the Http2Exchange that reads
// the request and answers it; for an event stream, then its Http2Sink. Both hand their
// body to nghttp2 a DATA frame at a time, by reference, and learn when the stream closes.
#include <cstddef>
#include <cstdint>
#include <memory>

#include <sys/types.h>

#include <boost/system/error_code.hpp>

#include "stream/sink.hpp"
#include "stream/write_batch.hpp"

namespace es::http2 {

class Http2Exchange;

class Http2Stream {
public:
  // The next DATA frame's size, at most `max` (the stream's and the connection's windows
  // and the frame size allow that much), with NGHTTP2_DATA_FLAG_NO_COPY and, for the body's
  // last bytes, NGHTTP2_DATA_FLAG_EOF set in `flags`; NGHTTP2_ERR_DEFERRED when nothing waits.
  virtual ssize_t next_data(std::size_t max, std::uint32_t& flags) = 0;
  // Adds the `length` bytes next_data promised to the connection's next write.
  virtual void take_data(std::size_t length, stream::WriteBatch& out) = 0;
  // The stream is over: reset by the client (`error_code` says why), ended, or its
  // connection gone. Called from within nghttp2: what it tells others is posted.
  virtual void on_close(std::uint32_t error_code) = 0;

protected:
  ~Http2Stream() = default;
};

// What to tell once the write that carries a stream's last handed bytes is done: the
// stream session that wrote them, or the exchange that answered. It holds what the bytes
// point into until then.
struct Written {
  std::shared_ptr<stream::Sink::Owner> owner;
  std::shared_ptr<Http2Exchange> exchange;
  boost::system::error_code ec; // what to tell when the write itself succeeded
};

} // namespace es::http2
