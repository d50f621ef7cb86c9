#include "stream/write_batch.hpp"

namespace es::stream {
namespace {

// Smaller pieces are copied: a memcpy is cheaper than another iovec and another pass of
// the write loop (Asio hands the kernel at most 16 buffers per call).
constexpr std::size_t copy_below = 512;
// A buffer that grew past this (a burst) is given back once written.
constexpr std::size_t keep_owned_capacity = 16 * 1024;

} // namespace

void WriteBatch::make_room() {
  if (owned_.empty()) owned_.assign(frame_room, ' ');
}

void WriteBatch::add_owned_piece(std::size_t offset, std::size_t size) {
  if (!pieces_.empty() && !pieces_.back().shared && pieces_.back().offset + pieces_.back().size == offset)
    pieces_.back().size += size; // adjacent: one piece, one buffer
  else
    pieces_.push_back({nullptr, offset, size});
  body_size_ += size;
}

void WriteBatch::copy(std::string_view bytes) {
  make_room();
  std::size_t start = owned_.size();
  owned_ += bytes;
  add_owned_piece(start, bytes.size());
}

void WriteBatch::add(std::string_view bytes) {
  if (bytes.size() <= copy_below) return copy(bytes);
  pieces_.push_back({bytes.data(), 0, bytes.size()});
  body_size_ += bytes.size();
}

const std::vector<boost::asio::const_buffer>& WriteBatch::frame(std::string_view head, std::string_view prefix,
                                                                std::string_view suffix) {
  // The prefix goes into the room before the body and the suffix after it: owned_ is
  // complete then, so pointers into it stay valid.
  make_room();
  std::size_t first = frame_room - prefix.size();
  owned_.replace(first, prefix.size(), prefix);
  owned_ += suffix;

  buffers_.clear();
  if (!head.empty()) buffers_.emplace_back(head.data(), head.size());
  // Owned pieces are laid out in owned_ in stream order, so the owned bytes between two
  // shared pieces are one contiguous run: emit runs, splitting only at shared pieces.
  std::size_t owned_from = first; // start of the owned bytes not yet in a buffer
  std::size_t run_end = frame_room;
  for (const auto& p : pieces_) {
    if (!p.shared) {
      run_end = p.offset + p.size;
      continue;
    }
    if (run_end > owned_from) buffers_.emplace_back(owned_.data() + owned_from, run_end - owned_from);
    owned_from = run_end;
    buffers_.emplace_back(p.shared, p.size);
  }
  if (owned_.size() > owned_from) buffers_.emplace_back(owned_.data() + owned_from, owned_.size() - owned_from);
  return buffers_;
}

void WriteBatch::clear() {
  pieces_.clear();
  if (owned_.capacity() > keep_owned_capacity) std::string().swap(owned_);
  owned_.clear();
  body_size_ = 0;
}

void WriteBatch::release() {
  std::vector<Piece>().swap(pieces_);
  std::string().swap(owned_);
  std::vector<boost::asio::const_buffer>().swap(buffers_);
  body_size_ = 0;
}

} // namespace es::stream
