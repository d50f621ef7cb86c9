#pragma once
// What is done when an HTTP/2 client passes a bound of SECURITY.md ("HTTP/2"): the
// connection is closed with a GOAWAY, the bound counted in /metrics
// (eventstream_http2_connections_closed_total{bound=...}) and a line logged, once a
// minute per bound at most, since clients choose to cause it.
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

namespace es::http2 {

enum class Bound {
  rapid_reset,    // RST_STREAM faster than the reset budget (CVE-2023-44487)
  control_frames, // SETTINGS, PING, PRIORITY or empty DATA faster than their budget; control frames piling up unread
  header_block,   // a HPACK bomb, a CONTINUATION flood, an oversized block
  stalled,        // nothing moved on a connection with bytes to send for --write-timeout
  protocol,       // what nghttp2 refused: a protocol, compression or flow-control error
};

void report(Bound bound, const boost::asio::ip::tcp::endpoint& peer, std::string_view why);

} // namespace es::http2
