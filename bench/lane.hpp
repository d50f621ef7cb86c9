// A thread of the load generator's subscribers: its own io_context and its own counters.
// Subscribers are spread over lanes so that the load generator is not the bottleneck.
// The main thread reads the atomic counters while the lanes run; latencies and reasons
// are read after they stopped.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace loadgen {

// CLOCK_MONOTONIC in ns: the payload's timestamps, shared by every loadgen process.
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Lane {
  boost::asio::io_context ioc{1};
  std::atomic<int> connected{0}, connect_errors{0}, disconnected{0};
  std::atomic<std::uint64_t> deliveries{0}, reordered{0}, replayed{0};
  std::atomic<std::int64_t> last_delivery_ns{0}, last_replayed_ns{0};
  std::vector<std::uint32_t> latency_us;
  std::vector<std::int64_t> latency_sent_ns;

  // A replayed event's latency is its age in storage: it is counted, not timed.
  void on_event(std::int64_t t, bool in_order, bool replaying) {
    auto now = now_ns();
    deliveries.fetch_add(1, std::memory_order_relaxed);
    if (!in_order) reordered.fetch_add(1, std::memory_order_relaxed);
    last_delivery_ns.store(now, std::memory_order_relaxed);
    if (replaying) {
      replayed.fetch_add(1, std::memory_order_relaxed);
      last_replayed_ns.store(now, std::memory_order_relaxed);
      return;
    }
    latency_us.push_back(static_cast<std::uint32_t>(std::clamp<std::int64_t>((now - t) / 1000, 0, UINT32_MAX)));
    latency_sent_ns.push_back(t);
  }
  // `why` says what went wrong; the run reports how often each reason came up.
  void on_error(bool was_connected, const std::string& why) {
    ++(was_connected ? disconnected : connect_errors);
    ++reasons[(was_connected ? "after connecting: " : "connecting: ") + why];
  }
  std::map<std::string, int> reasons; // written by the lane's thread, read once it stopped
};

} // namespace loadgen
