#include "http2/bounds.hpp"

#include <array>
#include <atomic>
#include <string>

#include "http/exchange.hpp"
#include "metrics/metrics.hpp"
#include "util/log.hpp"

namespace es::http2 {

void report(Bound bound, const boost::asio::ip::tcp::endpoint& peer, std::string_view why) {
  auto& closed = metrics::metrics().http2_closed;
  std::atomic<std::uint64_t>* counters[] = {&closed.rapid_reset, &closed.control_frames, &closed.header_block,
                                            &closed.stalled, &closed.protocol};
  auto index = static_cast<std::size_t>(bound);
  counters[index]->fetch_add(1, std::memory_order_relaxed);
  static std::array<std::atomic<std::int64_t>, 5> last_logged{};
  log_once_a_minute(last_logged[index], LogLevel::warn,
                    "HTTP/2 connection from " + http::endpoint_text(peer) + " closed with GOAWAY: " + std::string(why));
}

} // namespace es::http2
