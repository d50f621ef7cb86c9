#pragma once
// What one header block (a HEADERS frame and the CONTINUATION frames after it) costs,
// counted as it arrives, against two lines (SECURITY.md, "HTTP/2"):
// - over --max-header-bytes (each field counted as name, value and the four bytes
//   ": " and CRLF it would take over HTTP/1.1) the request is answered 431, and its
//   fields past the line are not kept;
// - past twice that, or twice --max-headers, or more than four CONTINUATION frames, the
//   client is not one that made a mistake (it was told SETTINGS_MAX_HEADER_LIST_SIZE) but
//   a HPACK bomb or a CONTINUATION flood: the connection is closed.
// Blocks never interleave on a connection, so the session keeps one.
#include <cstddef>
#include <string>

#include "config/server_config.hpp"

namespace es::http2 {

class HeaderBlock {
public:
  explicit HeaderBlock(const config::ServerConfig& config);

  void start(std::size_t frame_length); // a HEADERS frame
  void add_frame(std::size_t frame_length); // a CONTINUATION frame
  void add_field(std::size_t name_length, std::size_t value_length);

  // Over --max-header-bytes: the request gets 431.
  bool over_limit() const { return decoded_ > max_bytes_; }
  // Why the connection is to be closed, or "".
  std::string abuse() const;

private:
  const std::size_t max_bytes_;
  const std::size_t max_fields_;
  std::size_t raw_ = 0;     // bytes of the frames' payloads
  std::size_t decoded_ = 0; // what HPACK made of them
  std::size_t fields_ = 0;
  std::size_t continuations_ = 0;
};

} // namespace es::http2
