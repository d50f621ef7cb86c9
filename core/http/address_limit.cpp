#include "http/address_limit.hpp"

namespace es::http {

std::string AddressLimit::key(const boost::asio::ip::address& address) {
  if (address.is_v6() && !address.to_v6().is_v4_mapped()) {
    auto bytes = address.to_v6().to_bytes();
    return std::string(reinterpret_cast<const char*>(bytes.data()), 8); // the /64
  }
  namespace ip = boost::asio::ip;
  auto v4 = address.is_v4() ? address.to_v4() : ip::make_address_v4(ip::v4_mapped, address.to_v6());
  auto bytes = v4.to_bytes();
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

bool AddressLimit::admit(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto& open = open_[key];
  if (open >= limit_) return false; // limit_ > 0, so no entry is left at 0
  ++open;
  return true;
}

void AddressLimit::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto at = open_.find(key);
  if (at != open_.end() && --at->second == 0) open_.erase(at);
}

} // namespace es::http
