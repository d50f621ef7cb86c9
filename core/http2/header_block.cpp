#include "http2/header_block.hpp"

namespace es::http2 {

namespace {

// Browsers send a head in one HEADERS frame; a client that splits one into frames
// smaller than the 16 KiB every peer must accept needs a few at most. nghttp2 stops at
// eight (Debian's fix of CVE-2024-28182); this comes first, with a GOAWAY.
constexpr std::size_t max_continuations = 4;
// What HTTP/1.1 counts beside a field's name and value: ": " and CRLF.
constexpr std::size_t field_overhead = 4;

} // namespace

HeaderBlock::HeaderBlock(const config::ServerConfig& config)
    : max_bytes_(config.max_header_bytes), max_fields_(config.max_headers) {}

void HeaderBlock::start(std::size_t frame_length) {
  raw_ = frame_length;
  decoded_ = 0;
  fields_ = 0;
  continuations_ = 0;
}

void HeaderBlock::add_frame(std::size_t frame_length) {
  raw_ += frame_length;
  ++continuations_;
}

void HeaderBlock::add_field(std::size_t name_length, std::size_t value_length) {
  decoded_ += name_length + value_length + field_overhead;
  ++fields_;
}

std::string HeaderBlock::abuse() const {
  if (continuations_ > max_continuations)
    return "a header block in more than " + std::to_string(max_continuations + 1) + " frames";
  if (raw_ > 2 * max_bytes_) return "a header block over twice --max-header-bytes";
  if (decoded_ > 2 * max_bytes_) return "a header block decoding to over twice --max-header-bytes";
  // Pseudo-header fields (:method, :path...) count too: a few more than --max-headers.
  if (fields_ > 2 * max_fields_ + 8) return "a header block of over twice --max-headers fields";
  return {};
}

} // namespace es::http2
