#pragma once
// How an HTTP/2 client with prior knowledge (h2c, RFC 9113 §3.3) opens a plain
// connection: these 24 bytes, where an HTTP/1.1 request line would be. The HTTP/1.1
// session looks for them before it parses anything. The Upgrade: h2c dance of RFC 7540
// is not offered (RFC 9113 deprecated it, and browsers never used it).
#include <algorithm>
#include <string_view>

namespace es::http2 {

constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class Preface {
  no,      // not HTTP/2
  partial, // the preface so far: wait for more bytes
  whole,
};

inline Preface match_preface(std::string_view bytes) {
  auto n = std::min(bytes.size(), client_preface.size());
  if (bytes.substr(0, n) != client_preface.substr(0, n)) return Preface::no;
  return n == client_preface.size() ? Preface::whole : Preface::partial;
}

} // namespace es::http2
