#include "mercure/recent_ids.hpp"

namespace es::mercure {

void RecentIds::remember(const std::string& id, std::uint64_t number) {
  std::lock_guard lock(mutex_);
  newest_ = id;
  if (!numbers_.emplace(id, number).second) return;
  order_.push_back(id);
  if (order_.size() > capacity_) {
    numbers_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<std::uint64_t> RecentIds::find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  auto it = numbers_.find(std::string(id));
  if (it == numbers_.end()) return std::nullopt;
  return it->second;
}

std::string RecentIds::newest() const {
  std::lock_guard lock(mutex_);
  return newest_;
}

} // namespace es::mercure
