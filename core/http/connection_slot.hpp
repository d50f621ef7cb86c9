#pragma once
// One open client connection, counted in metrics().connections_open from accept to close
// whichever session holds the socket: --max-connections is checked against that count.
// With --max-connections-per-address it is also counted against its address.
#include <string>
#include <utility>

#include "http/address_limit.hpp"
#include "metrics/metrics.hpp"

namespace es::http {

class ConnectionSlot {
public:
  // `address_key`: what AddressLimit::admit() admitted, or "" when addresses are not limited.
  ConnectionSlot(AddressLimit& addresses, std::string address_key)
      : addresses_(&addresses), address_key_(std::move(address_key)) {
    metrics::metrics().connections_open.fetch_add(1, std::memory_order_relaxed);
  }
  ~ConnectionSlot() {
    if (!addresses_) return;
    metrics::metrics().connections_open.fetch_sub(1, std::memory_order_relaxed);
    if (!address_key_.empty()) addresses_->release(address_key_);
  }
  ConnectionSlot(ConnectionSlot&& other) noexcept
      : addresses_(std::exchange(other.addresses_, nullptr)), address_key_(std::move(other.address_key_)) {}
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;

private:
  AddressLimit* addresses_; // null once moved from
  std::string address_key_;
};

} // namespace es::http
