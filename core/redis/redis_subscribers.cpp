#include "redis/redis_subscribers.hpp"

#include <poll.h>

#include <map>

#include "redis/key_slot.hpp"

namespace es::redis {
namespace {

// Channels per command, so that one command stays a bounded write.
constexpr std::size_t chunk = 1000;

} // namespace

RedisSubscribers::RedisSubscribers(RedisNodes& nodes) : nodes_(nodes), sharded_(nodes.cluster()), primaries_(nodes.primaries()) {
  for (const auto& node : primaries_) {
    connections_.push_back(std::make_unique<RedisConnection>(node));
    connections_.back()->run({"PING"}); // connects
  }
  pinged_.resize(connections_.size());
  last_ping_ = std::chrono::steady_clock::now();
}

void RedisSubscribers::keep_alive(std::chrono::steady_clock::time_point now, std::chrono::seconds every) {
  for (std::size_t i = 0; i < connections_.size(); ++i)
    if (pinged_[i] && now - *pinged_[i] > every)
      throw RedisError("Redis at " + primaries_[i].describe() + " did not answer PING within " +
                       std::to_string(every.count()) + " s (its host gone?)");
  if (now - last_ping_ < every) return;
  last_ping_ = now;
  for (std::size_t i = 0; i < connections_.size(); ++i)
    if (!pinged_[i]) {
      connections_[i]->post({{"PING"}});
      pinged_[i] = now;
    }
}

RedisConnection& RedisSubscribers::owner_of(const std::string& name) {
  if (!sharded_) return *connections_.front();
  Endpoint owner = nodes_.owner(name);
  for (std::size_t i = 0; i < primaries_.size(); ++i)
    if (primaries_[i].host == owner.host && primaries_[i].port == owner.port) return *connections_[i];
  throw RedisError("the Redis Cluster at " + nodes_.describe() + " has a new primary, " + owner.describe() +
                   "; subscribing again on its new map");
}

// A sharded command's channels must share a slot: one command per slot, per chunk.
void RedisSubscribers::post_grouped(const char* verb, const std::vector<std::string>& names) {
  std::map<std::pair<RedisConnection*, std::uint16_t>, std::vector<std::string>> groups;
  for (const auto& name : names) groups[{&owner_of(name), sharded_ ? key_slot(name) : 0}].push_back(name);
  std::map<RedisConnection*, std::vector<RedisConnection::Command>> commands;
  for (const auto& [where, group] : groups)
    for (std::size_t from = 0; from < group.size(); from += chunk) {
      RedisConnection::Command command{verb};
      command.insert(command.end(), group.begin() + static_cast<std::ptrdiff_t>(from),
                     group.begin() + static_cast<std::ptrdiff_t>(std::min(group.size(), from + chunk)));
      commands[where.first].push_back(std::move(command));
    }
  for (const auto& [connection, list] : commands) connection->post(list);
}

void RedisSubscribers::subscribe(const std::vector<std::string>& names) {
  post_grouped(sharded_ ? "SSUBSCRIBE" : "SUBSCRIBE", names);
}

void RedisSubscribers::unsubscribe(const std::vector<std::string>& names) {
  if (sharded_) leaving_.insert(names.begin(), names.end());
  post_grouped(sharded_ ? "SUNSUBSCRIBE" : "UNSUBSCRIBE", names);
}

void RedisSubscribers::subscribe_plain(const std::string& name) { connections_.front()->post({{"SUBSCRIBE", name}}); }

std::optional<Reply> RedisSubscribers::next(std::chrono::milliseconds wait, int wake_fd) {
  auto take = [&]() -> std::optional<Reply> {
    for (std::size_t k = 0; k < connections_.size(); ++k) {
      std::size_t i = next_drained_++ % connections_.size();
      auto push = connections_[i]->next_push(std::chrono::milliseconds(0));
      if (!push) continue;
      // In subscriber mode PING is answered ["pong", ""].
      if (push->kind == Reply::Kind::array && push->elements.size() == 2 && push->elements[0].text == "pong") {
        pinged_[i].reset();
        return Reply{}; // not for the caller
      }
      return push;
    }
    return std::nullopt;
  };
  auto push = take();
  if (!push) {
    std::vector<pollfd> fds;
    for (const auto& connection : connections_) fds.push_back({connection->fd(), POLLIN, 0});
    if (wake_fd >= 0) fds.push_back({wake_fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), static_cast<int>(wait.count())) <= 0) return std::nullopt;
    if (wake_fd >= 0 && fds.back().revents) return std::nullopt;
    push = take();
    if (!push) return std::nullopt;
  }
  if (push->kind == Reply::Kind::error && (push->text.starts_with("MOVED ") || push->text.starts_with("ASK "))) {
    nodes_.forget_map();
    throw RedisError("the Redis Cluster at " + nodes_.describe() + " moved a slot (" + push->text + "); subscribing again");
  }
  if (push->kind != Reply::Kind::array || push->elements.size() != 3) return push;
  auto& kind = push->elements[0].text;
  if (kind == "smessage") kind = "message";
  else if (kind == "ssubscribe") kind = "subscribe";
  else if (kind == "sunsubscribe") {
    // Ours, confirmed; or Redis's own, for a slot that left this primary.
    if (!leaving_.erase(push->elements[1].text)) {
      nodes_.forget_map();
      throw RedisError("the Redis Cluster at " + nodes_.describe() + " moved the slot of " + push->elements[1].text +
                       "; subscribing again");
    }
    kind = "unsubscribe";
  }
  return push;
}

} // namespace es::redis
