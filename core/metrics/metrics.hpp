#pragma once
// What `GET /metrics` reports, in Prometheus' text format. Counters are plain atomics
// bumped where things happen; what happens once per delivery is counted per hub shard
// (hub::Hub::counters) by its own thread and only summed when scraped, so the hot path
// never shares a cache line between threads.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace es::hub {
class Hubs;
}

namespace es::metrics {

// Seconds, from half a millisecond to ten seconds.
class Histogram {
public:
  static constexpr std::array<double, 13> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,    0.25,  0.5,    1,     2.5,  10};
  void observe(std::chrono::steady_clock::duration took);
  void render(std::string& out, const char* name, const char* help) const;

private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> counts_{}; // the last one: above every bound
  std::atomic<std::uint64_t> sum_ns_{0};
};

struct Metrics {
  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::int64_t> streams_open{0};
  std::atomic<std::uint64_t> connections_refused{0}; // over --max-connections
  std::atomic<std::uint64_t> connections_refused_per_address{0}; // over --max-connections-per-address
  std::atomic<std::uint64_t> requests_refused{0};    // a request over a limit, or malformed
  std::atomic<std::uint64_t> requests_failed{0};     // what threw in a handler: a bug, logged
  std::atomic<std::uint64_t> events_published{0};
  std::atomic<std::uint64_t> publish_failures{0}; // publishes answered 503
  std::atomic<std::uint64_t> grip_publish_failures{0};
  std::atomic<std::uint64_t> redis_errors{0};
  std::atomic<std::uint64_t> redis_messages{0}; // pub/sub messages received from Redis
  std::atomic<std::int64_t> http2_connections_open{0};
  // HTTP/2 connections closed over a bound (http2/bounds.hpp, SECURITY.md).
  struct Http2Closed {
    std::atomic<std::uint64_t> rapid_reset{0};
    std::atomic<std::uint64_t> control_frames{0};
    std::atomic<std::uint64_t> header_block{0};
    std::atomic<std::uint64_t> stalled{0};
    std::atomic<std::uint64_t> protocol{0};
  } http2_closed;
  Histogram publish_latency;        // a publish request, read to answered
  Histogram storage_commit_latency; // one commit of a group of publishes
};

// The process's metrics.
Metrics& metrics();

// Adds `n` to a counter that only one thread writes (a hub shard's): no atomic
// read-modify-write is needed, and readers on other threads still see whole values.
inline void bump(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

std::string render(const hub::Hubs& hubs);

} // namespace es::metrics
