#pragma once
// An answer's head as HTTP/2 sends it (RFC 9113 §8.3.2): ":status" first, then the fields
// with their names lower-cased, less those that belong to an HTTP/1.1 connection
// (Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade: §8.2.2), which
// the answers built for both protocols may carry. The values were checked when they were
// set (SafeFields, header_line).
#include <string>
#include <string_view>
#include <vector>

#include <nghttp2/nghttp2.h>

namespace es::http2 {

class ResponseFields {
public:
  explicit ResponseFields(unsigned status);
  void add(std::string_view name, std::string_view value);
  // For nghttp2_submit_response, which copies them.
  const std::vector<nghttp2_nv>& nv();

private:
  std::vector<std::string> strings_; // name, value, name, value...
  std::vector<nghttp2_nv> nv_;
};

} // namespace es::http2
