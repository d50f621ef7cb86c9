#pragma once
// The ids of the newest updates and their positions in the update channel, so that a
// reconnecting subscriber (whose Last-Event-ID is nearly always recent) is placed
// without reading storage. Fed with every update this instance's hub gets, its own and,
// through Redis, the other instances'. Older ids are looked up in storage (history.hpp).
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace es::mercure {

class RecentIds {
public:
  explicit RecentIds(std::size_t capacity) : capacity_(capacity) {}

  // An id given to several updates stays with the first (the protocol resolves a
  // reused id to the earliest).
  void remember(const std::string& id, std::uint64_t number);
  std::optional<std::uint64_t> find(std::string_view id) const;
  // The newest id remembered; "earliest" before any.
  std::string newest() const;
  std::size_t capacity() const { return capacity_; }

private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::uint64_t> numbers_;
  std::deque<std::string> order_; // oldest first
  std::string newest_ = "earliest";
};

} // namespace es::mercure
