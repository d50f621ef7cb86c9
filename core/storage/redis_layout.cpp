#include "storage/redis_layout.hpp"

#include <functional>

#include "redis/channel_keys.hpp"
#include "storage/storage.hpp"

namespace es::storage {
namespace {

using redis::Reply;

const std::string layout_key = "eventstream:layout";
const std::string layout = "2"; // hash-tagged keys
const std::string old_head_prefix = "eventstream:head:";

// Calls `found` with each old head key on every primary, until it returns false.
void each_old_head(redis::RedisNodes& nodes, const std::function<bool(const std::string&)>& found) {
  for (const auto& node : nodes.primaries()) {
    std::string cursor = "0";
    do {
      Reply page = nodes.run_on(node, {{"SCAN", cursor, "MATCH", old_head_prefix + "*", "COUNT", "1000"}}).front();
      if (page.kind == Reply::Kind::error || page.elements.size() != 2)
        throw StorageError("Redis at " + node.describe() + " refused SCAN: " + page.text);
      cursor = page.elements[0].text;
      for (const auto& key : page.elements[1].elements)
        if (!found(key.text)) return;
    } while (cursor != "0");
  }
}

} // namespace

bool redis_layout_current(redis::RedisNodes& nodes, bool mark) {
  if (nodes.run({{layout_key, {"GET", layout_key}}}).front().text == layout) return true;
  bool old = false;
  each_old_head(nodes, [&](const std::string&) { return !(old = true); });
  if (!old && mark) nodes.run({{layout_key, {"SET", layout_key, layout}}});
  return !old;
}

// Each channel's events first, then its head: a migration cut short leaves the head of
// the channel it was moving, which the next run finds and finishes.
std::size_t migrate_redis_layout(redis::RedisNodes& nodes) {
  if (nodes.cluster())
    throw StorageError("eventstream 0.1 could not store in a Redis Cluster, so a cluster holds none of its keys; "
                       "migrate the single Redis it used, then move its data into the cluster");
  std::size_t moved = 0;
  std::vector<std::string> heads;
  each_old_head(nodes, [&](const std::string& key) {
    heads.push_back(key);
    return true;
  });
  auto move = [&](const std::string& from, const std::string& to) {
    Reply renamed = nodes.run({{from, {"RENAMENX", from, to}}}).front();
    if (renamed.kind == Reply::Kind::error || renamed.integer == 0)
      throw StorageError("cannot move " + from + " to " + to + ": " +
                         (renamed.kind == Reply::Kind::error ? renamed.text
                                                             : "that key exists already (did a newer eventstream serve "
                                                               "this Redis before it was migrated?); compare the two, "
                                                               "keep one, and run migrate again"));
  };
  for (const auto& old_head : heads) {
    std::string channel = old_head.substr(old_head_prefix.size());
    std::string old_events = "eventstream:events:" + channel;
    if (nodes.run({{old_events, {"EXISTS", old_events}}}).front().integer == 1) move(old_events, redis::events_key(channel));
    move(old_head, redis::head_key(channel));
    ++moved;
  }
  nodes.run({{"eventstream:channels", {"DEL", "eventstream:channels"}}, {layout_key, {"SET", layout_key, layout}}});
  return moved;
}

} // namespace es::storage
