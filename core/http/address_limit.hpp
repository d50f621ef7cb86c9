#pragma once
// --max-connections-per-address: how many connections one client address may hold, so
// that one client cannot take every connection of the server. An IPv6 client counts by
// its /64, the block one host is usually given (it may use any address in it); an
// IPv4-mapped address counts as the IPv4 address.
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace es::http {

class AddressLimit {
public:
  explicit AddressLimit(std::size_t limit) : limit_(limit) {} // 0: no limit
  std::size_t limit() const { return limit_; }

  // What `address` counts under.
  static std::string key(const boost::asio::ip::address& address);
  // Counts one more connection of `key`; false, counting nothing, when it holds the limit.
  // Only when limit() is not 0.
  bool admit(const std::string& key);
  void release(const std::string& key);

private:
  const std::size_t limit_;
  std::mutex mutex_; // admitted on the listener's thread, released on any I/O thread
  std::unordered_map<std::string, std::size_t> open_;
};

} // namespace es::http
