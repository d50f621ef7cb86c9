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

bool redis_layout_current(redis::RedisNodes& nodes) {
  if (nodes.run({{layout_key, {"GET", layout_key}}}).front().text == layout) return true;
  bool old = false;
  each_old_head(nodes, [&](const std::string&) { return !(old = true); });
  if (!old) nodes.run({{layout_key, {"SET", layout_key, layout}}});
  return !old;
}

std::size_t migrate_redis_layout(redis::RedisNodes& nodes) {
  std::size_t moved = 0;
  std::vector<std::string> heads;
  each_old_head(nodes, [&](const std::string& key) {
    heads.push_back(key);
    return true;
  });
  for (const auto& old_head : heads) {
    std::string channel = old_head.substr(old_head_prefix.size());
    std::string old_events = "eventstream:events:" + channel;
    // RENAMENX: a channel already counted in the new layout is not overwritten.
    auto replies = nodes.run({{old_head, {"RENAMENX", old_head, redis::head_key(channel)}},
                              {old_head, {"EXISTS", old_events}}});
    if (replies[0].kind == Reply::Kind::error || replies[0].integer == 0)
      throw StorageError("cannot move " + old_head + " to " + redis::head_key(channel) + ": " +
                         (replies[0].kind == Reply::Kind::error ? replies[0].text : "that key exists already") +
                         "; compare the two and delete the one to drop");
    if (replies[1].integer == 1) {
      Reply renamed = nodes.run({{old_events, {"RENAMENX", old_events, redis::events_key(channel)}}}).front();
      if (renamed.kind == Reply::Kind::error || renamed.integer == 0)
        throw StorageError("cannot move " + old_events + " to " + redis::events_key(channel) + ": " +
                           (renamed.kind == Reply::Kind::error ? renamed.text : "that key exists already"));
    }
    ++moved;
  }
  nodes.run({{"eventstream:channels", {"DEL", "eventstream:channels"}}, {layout_key, {"SET", layout_key, layout}}});
  return moved;
}

} // namespace es::storage
