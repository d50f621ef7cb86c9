#include "storage/redis_storage.hpp"

#include <charconv>
#include <cstdio>
#include <unordered_map>

#include <openssl/sha.h>

#include "metrics/metrics.hpp"
#include "redis/channel_keys.hpp"
#include "redis/key_slot.hpp"

namespace es::storage {
namespace {

using redis::Reply;
using Routed = redis::RedisNodes::Routed;

std::string hex_sha1(const std::string& text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  char hex[2 * SHA_DIGEST_LENGTH + 1];
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return hex;
}

} // namespace

// A Lua script called by its SHA1 (EVALSHA), so that a commit does not carry the script's
// text each time; Redis keeps scripts until it restarts.
struct RedisStorage::Script {
  std::string text;
  std::string sha1 = hex_sha1(text);
};

namespace {

// KEYS: per event, the channel's head and events keys. ARGV: now (ms), then per event:
// type, data, number of skipped users, users. Returns the ids given, in order.
const RedisStorage::Script append_script{R"lua(
local now = ARGV[1]
local ids = {}
local i = 2
for k = 1, #KEYS, 2 do
  local skipped = tonumber(ARGV[i + 2])
  local id = redis.call('INCR', KEYS[k])
  local entry = {'XADD', KEYS[k + 1], '0-' .. id, 't', ARGV[i], 'd', ARGV[i + 1], 'at', now}
  for s = 1, skipped do
    entry[#entry + 1] = 's'
    entry[#entry + 1] = ARGV[i + 2 + s]
  end
  redis.call(unpack(entry))
  ids[#ids + 1] = id
  i = i + 3 + skipped
end
return ids
)lua"};

// KEYS: the events key. ARGV: the first id to keep. An emptied stream is deleted, so that
// trimming stops visiting a channel nobody publishes to (its head stays). Returns the
// entries removed.
const RedisStorage::Script trim_script{R"lua(
local removed = redis.call('XTRIM', KEYS[1], 'MINID', '0-' .. ARGV[1])
if redis.call('XLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end
return removed
)lua"};

std::uint64_t number(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// The N of a stream entry id `0-N`.
std::uint64_t sequence(const std::string& entry_id) { return number(std::string_view(entry_id).substr(entry_id.find('-') + 1)); }

std::int64_t millis(Clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

void expect_no_error(const Reply& reply, const char* what) {
  if (reply.kind == Reply::Kind::error) throw StorageError(std::string("Redis refused ") + what + ": " + reply.text);
}

// An XRANGE answer: entries of [id, [field, value, ...]]. Anything else is refused before
// it is read.
void expect_entries(const Reply& reply, const char* what) {
  expect_no_error(reply, what);
  for (const auto& entry : reply.elements)
    if (entry.elements.size() != 2 || entry.elements[1].kind != Reply::Kind::array)
      throw StorageError(std::string("Redis answered ") + what + " with a malformed stream entry; is --redis the "
                         "Redis that eventstream stores in?");
}

} // namespace

RedisStorage::RedisStorage(redis::Target target, int replicas) : nodes_(std::move(target)), replicas_(replicas) {}

std::vector<Reply> RedisStorage::run(const std::vector<Routed>& commands, int replicas) {
  try {
    return nodes_.run(commands, replicas);
  } catch (const redis::RedisError& e) {
    metrics::metrics().redis_errors.fetch_add(1, std::memory_order_relaxed);
    throw StorageError(std::string(e.what()) + "; try again when Redis is back");
  }
}

std::vector<Reply> RedisStorage::eval(const Script& script, const std::vector<Call>& calls, int replicas) {
  auto command = [&](const Call& call, const std::string& verb, const std::string& body) {
    Routed routed{call.keys.front(), {verb, body, std::to_string(call.keys.size())}};
    routed.command.insert(routed.command.end(), call.keys.begin(), call.keys.end());
    routed.command.insert(routed.command.end(), call.args.begin(), call.args.end());
    return routed;
  };
  std::vector<Routed> commands;
  for (const auto& call : calls) commands.push_back(command(call, "EVALSHA", script.sha1));
  auto replies = run(commands, replicas);
  // A node that restarted lacks the script; nothing ran there.
  std::vector<Routed> again;
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < replies.size(); ++i)
    if (replies[i].kind == Reply::Kind::error && replies[i].text.starts_with("NOSCRIPT")) {
      again.push_back(command(calls[i], "EVAL", script.text));
      at.push_back(i);
    }
  if (!again.empty()) {
    auto loaded = run(again, replicas);
    for (std::size_t k = 0; k < at.size(); ++k) replies[at[k]] = std::move(loaded[k]);
  }
  return replies;
}

// One script per slot of a cluster (its keys must share one), one in all on one server.
std::vector<std::uint64_t> RedisStorage::append(const std::vector<NewEvent>& events, Clock::time_point now) {
  std::vector<Call> calls;
  std::vector<std::vector<std::size_t>> members; // the events of calls[i]
  std::unordered_map<std::uint16_t, std::size_t> by_slot;
  for (std::size_t e = 0; e < events.size(); ++e) {
    const auto& event = events[e];
    std::string head = redis::head_key(event.channel);
    auto [it, fresh] = by_slot.try_emplace(nodes_.cluster() ? redis::key_slot(head) : 0, calls.size());
    if (fresh) {
      calls.push_back({{}, {std::to_string(millis(now))}});
      members.emplace_back();
    }
    Call& call = calls[it->second];
    call.keys.push_back(std::move(head));
    call.keys.push_back(redis::events_key(event.channel));
    call.args.insert(call.args.end(), {std::string(event.type), std::string(event.data), std::to_string(event.skip_users.size())});
    call.args.insert(call.args.end(), event.skip_users.begin(), event.skip_users.end());
    members[it->second].push_back(e);
  }
  auto replies = eval(append_script, calls, replicas_);
  std::vector<std::uint64_t> ids(events.size());
  for (std::size_t c = 0; c < replies.size(); ++c) {
    expect_no_error(replies[c], "an append");
    if (replies[c].elements.size() != members[c].size())
      throw StorageError("Redis answered an append of " + std::to_string(members[c].size()) + " events with " +
                         std::to_string(replies[c].elements.size()) + " ids");
    for (std::size_t k = 0; k < members[c].size(); ++k)
      ids[members[c][k]] = static_cast<std::uint64_t>(replies[c].elements[k].integer);
  }
  return ids;
}

ChannelRange RedisStorage::range(const std::string& channel) {
  auto events = redis::events_key(channel);
  auto replies = run({{events, {"GET", redis::head_key(channel)}}, {events, {"XRANGE", events, "-", "+", "COUNT", "1"}}});
  expect_no_error(replies[0], "a range");
  expect_entries(replies[1], "a range");
  std::uint64_t head = replies[0].kind == Reply::Kind::bulk ? number(replies[0].text) : 0;
  const auto& oldest = replies[1].elements;
  return {oldest.empty() ? head + 1 : sequence(oldest[0].elements[0].text), head};
}

std::vector<StoredEvent> RedisStorage::read(const std::string& channel, std::uint64_t after, std::size_t limit) {
  auto key = redis::events_key(channel);
  Reply reply = run({{key, {"XRANGE", key, "(0-" + std::to_string(after), "+", "COUNT", std::to_string(limit)}}}).front();
  expect_entries(reply, "a read");
  std::vector<StoredEvent> events;
  for (const auto& entry : reply.elements) {
    StoredEvent event{sequence(entry.elements[0].text), "", "", {}};
    const auto& fields = entry.elements[1].elements;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      const std::string& name = fields[i].text;
      if (name == "t") event.type = fields[i + 1].text;
      else if (name == "d") event.data = fields[i + 1].text;
      else if (name == "s") event.skip_users.push_back(fields[i + 1].text);
    }
    events.push_back(std::move(event));
  }
  return events;
}

// A few SCAN pages per call, resuming where the last call stopped, one primary after
// another: a call is a bounded stall of the committer however many channels there are,
// and each channel is visited once per round.
std::size_t RedisStorage::trim(Clock::time_point cutoff, std::size_t limit) {
  std::lock_guard lock(trim_mutex_); // the cursors are shared
  std::size_t removed = 0;
  auto before = static_cast<std::uint64_t>(millis(cutoff));
  try {
    auto primaries = nodes_.primaries();
    for (int page_count = 0; page_count < trim_pages && removed < limit; ++page_count) {
      const auto& node = primaries[trim_node_ % primaries.size()];
      std::string& cursor = trim_cursors_.try_emplace(node.describe(), "0").first->second;
      Reply page = nodes_.run_on(node, {{"SCAN", cursor, "MATCH", std::string(redis::events_key_pattern), "COUNT",
                                         "1000", "TYPE", "stream"}}).front();
      expect_no_error(page, "a SCAN");
      if (page.elements.size() != 2)
        throw StorageError("Redis at " + node.describe() + " answered SCAN with something else than a page; is it Redis?");
      cursor = page.elements[0].text;
      if (cursor == "0") ++trim_node_;
      for (const auto& key : page.elements[1].elements) {
        if (removed >= limit) break; // the rest of this page waits a round
        removed += trim_channel(key.text, before, limit - removed);
      }
    }
  } catch (const redis::RedisError& e) {
    // The next call reads the map again and goes on with the next primary: one that
    // stays down stops no other's trimming.
    nodes_.forget_map();
    ++trim_node_;
    throw StorageError(std::string(e.what()) + "; try again when Redis is back");
  }
  return removed;
}

std::size_t RedisStorage::trim_channel(const std::string& key, std::uint64_t before, std::size_t limit) {
  auto oldest = run({{key, {"XRANGE", key, "-", "+", "COUNT", std::to_string(limit)}}}).front();
  expect_entries(oldest, "a trim");
  std::size_t expired = 0;
  for (const auto& entry : oldest.elements) {
    const auto& fields = entry.elements[1].elements;
    bool old = false;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
      if (fields[i].text == "at") old = number(fields[i + 1].text) < before;
    if (!old) break; // entries of a channel are in time order
    ++expired;
  }
  if (expired == 0) return 0;
  // MINID keeps the entries from the first one that has not expired.
  auto first_kept = expired < oldest.elements.size() ? sequence(oldest.elements[expired].elements[0].text)
                                                     : sequence(oldest.elements[expired - 1].elements[0].text) + 1;
  Reply reply = eval(trim_script, {{{key}, {std::to_string(first_kept)}}}).front();
  expect_no_error(reply, "a trim");
  return static_cast<std::size_t>(reply.integer);
}

} // namespace es::storage
