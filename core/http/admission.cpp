#include "http/admission.hpp"

#include <algorithm>
#include <atomic>

#include "stream/reconnect_delay.hpp"
#include "util/log.hpp"

namespace es::http {

std::variant<ConnectionSlot, AdmissionRefused> admit(SharedState& state, const boost::asio::ip::address& address,
                                                     bool limited) {
  namespace bhttp = boost::beast::http;
  auto& metrics = metrics::metrics();
  if (limited &&
      static_cast<std::size_t>(metrics.connections_open.load(std::memory_order_relaxed)) >= state.max_connections) {
    metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
    static std::atomic<std::int64_t> last_logged{0};
    auto limit = std::to_string(state.max_connections);
    log_once_a_minute(last_logged, LogLevel::warn,
                      "refusing connections with 503: " + limit + " are open (--max-connections)");
    return AdmissionRefused{bhttp::status::service_unavailable,
                            "this server holds its most connections (--max-connections " + limit + ")"};
  }
  std::string address_key;
  if (limited && state.addresses.limit()) {
    address_key = AddressLimit::key(address);
    if (!state.addresses.admit(address_key)) {
      metrics.connections_refused_per_address.fetch_add(1, std::memory_order_relaxed);
      static std::atomic<std::int64_t> last_logged{0};
      auto limit = std::to_string(state.addresses.limit());
      log_once_a_minute(last_logged, LogLevel::warn,
                        "refusing connections with 429: " + address.to_string() + " holds " + limit +
                            " (--max-connections-per-address)");
      return AdmissionRefused{bhttp::status::too_many_requests,
                              "your address holds its most connections (--max-connections-per-address " + limit + ")"};
    }
  }
  return ConnectionSlot(state.addresses, std::move(address_key));
}

std::chrono::seconds retry_after(const SharedState& state) {
  return std::chrono::ceil<std::chrono::seconds>(
      stream::reconnect_delay(std::max(state.config.retry, std::chrono::milliseconds(1000))));
}

} // namespace es::http
