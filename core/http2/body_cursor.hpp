#pragma once
// The bytes of an answer's body, handed to nghttp2 a DATA frame at a time without being
// copied: the frame's share of the body is added to the connection's next write by
// reference (WriteBatch copies only the small pieces).
#include <cstddef>
#include <vector>

#include <boost/asio/buffer.hpp>

#include "stream/write_batch.hpp"

namespace es::http2 {

class BodyCursor {
public:
  BodyCursor() = default;
  BodyCursor(const BodyCursor&) = delete; // it may point into itself
  BodyCursor& operator=(const BodyCursor&) = delete;

  // `buffers`, the vector itself and the bytes, must stay unchanged until every byte is
  // taken and written: it is not copied (a batch's, kept by its stream until then), so
  // an idle stream holds no copy of its last write's buffer list.
  void reset(const std::vector<boost::asio::const_buffer>& buffers);
  // `buffer`'s bytes must stay valid until taken and written.
  void reset(boost::asio::const_buffer buffer);

  std::size_t left() const { return left_; }
  // Adds the next `length` bytes (at most left()) to `out`.
  void take(std::size_t length, stream::WriteBatch& out);

private:
  const boost::asio::const_buffer* buffers_ = nullptr;
  boost::asio::const_buffer single_; // what buffers_ points to after reset(buffer)
  std::size_t index_ = 0;  // the buffer being taken
  std::size_t offset_ = 0; // into it
  std::size_t left_ = 0;
};

} // namespace es::http2
