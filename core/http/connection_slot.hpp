#pragma once
// One open client connection, counted in metrics().connections_open from accept to close
// whichever session holds the socket: --max-connections is checked against that count.
#include <utility>

#include "metrics/metrics.hpp"

namespace es::http {

class ConnectionSlot {
public:
  ConnectionSlot() { metrics::metrics().connections_open.fetch_add(1, std::memory_order_relaxed); }
  ~ConnectionSlot() {
    if (held_) metrics::metrics().connections_open.fetch_sub(1, std::memory_order_relaxed);
  }
  ConnectionSlot(ConnectionSlot&& other) noexcept : held_(std::exchange(other.held_, false)) {}
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;

private:
  bool held_ = true;
};

} // namespace es::http
