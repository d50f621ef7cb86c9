#include "http2/body_cursor.hpp"

#include <algorithm>
#include <string_view>

namespace es::http2 {

void BodyCursor::reset(const std::vector<boost::asio::const_buffer>& buffers) {
  buffers_ = buffers.data();
  index_ = 0;
  offset_ = 0;
  left_ = boost::asio::buffer_size(buffers);
}

void BodyCursor::reset(boost::asio::const_buffer buffer) {
  single_ = buffer;
  buffers_ = &single_;
  index_ = 0;
  offset_ = 0;
  left_ = buffer.size();
}

void BodyCursor::take(std::size_t length, stream::WriteBatch& out) {
  length = std::min(length, left_);
  left_ -= length;
  while (length > 0) {
    const auto& buffer = buffers_[index_];
    std::size_t n = std::min(length, buffer.size() - offset_);
    if (n) out.add(std::string_view(static_cast<const char*>(buffer.data()) + offset_, n));
    offset_ += n;
    length -= n;
    if (offset_ == buffer.size()) {
      ++index_;
      offset_ = 0;
    }
  }
}

} // namespace es::http2
