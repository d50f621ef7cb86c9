#pragma once
// The bytes of a stream's next write, gathered without copying what is large: pieces of
// shared event bytes, and of `owned_` for what the stream writes itself (id lines,
// resets, small events copied). Room is kept in front of the body for the transport's
// framing (an HTTP/1.1 chunk-size line, an HTTP/2 frame header), so that framing and
// small events usually go out as one contiguous buffer.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>

namespace es::stream {

class WriteBatch {
public:
  // The most framing a transport may put in front of a body.
  static constexpr std::size_t frame_room = 18;

  std::size_t size() const { return body_size_; }
  bool empty() const { return body_size_ == 0; }

  // Adds a copy of `bytes`.
  void copy(std::string_view bytes);
  // Adds `bytes`, which must stay valid until written: a copy when small, else a
  // reference.
  void add(std::string_view bytes);
  // Adds what `write(std::string&)` appends, written in place (no allocation once the
  // batch has grown).
  template <class Write> void append(Write&& write) {
    make_room();
    std::size_t start = owned_.size();
    write(owned_);
    add_owned_piece(start, owned_.size() - start);
  }

  // The buffers to write: `head` (may be empty), `prefix` (at most frame_room bytes)
  // in the room before the body, the body, `suffix`. The batch must not change until
  // the write is done.
  const std::vector<boost::asio::const_buffer>& frame(std::string_view head, std::string_view prefix,
                                                      std::string_view suffix);

  // Empties the batch; memory that grew past a burst's worth is given back.
  void clear();
  // Empties the batch and gives back all its memory.
  void release();

private:
  void make_room();
  void add_owned_piece(std::size_t offset, std::size_t size);

  // Offsets into owned_, because owned_ may grow until the write starts.
  struct Piece {
    const char* shared; // null: owned_ from `offset`
    std::size_t offset;
    std::size_t size;
  };
  std::vector<Piece> pieces_;
  std::string owned_;
  std::size_t body_size_ = 0;
  std::vector<boost::asio::const_buffer> buffers_;
};

} // namespace es::stream
