#include "storage/redis_storage.hpp"

#include <charconv>
#include <cstdio>

#include <openssl/sha.h>

#include "metrics/metrics.hpp"

namespace es::storage {
namespace {

using redis::Reply;

const std::string prefix = "eventstream:";

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

// ARGV: now (ms), then per event: channel, type, data, number of skipped users, users.
// Returns the ids given, in order.
const RedisStorage::Script append_script{R"lua(
local now = ARGV[1]
local ids = {}
local i = 2
while i <= #ARGV do
  local channel, skipped = ARGV[i], tonumber(ARGV[i + 3])
  local id = redis.call('INCR', 'eventstream:head:' .. channel)
  local entry = {'XADD', 'eventstream:events:' .. channel, '0-' .. id, 't', ARGV[i + 1], 'd', ARGV[i + 2], 'at', now}
  for k = 1, skipped do
    entry[#entry + 1] = 's'
    entry[#entry + 1] = ARGV[i + 3 + k]
  end
  redis.call(unpack(entry))
  redis.call('SADD', 'eventstream:channels', channel)
  ids[#ids + 1] = id
  i = i + 4 + skipped
end
return ids
)lua"};

// ARGV: channel, first id to keep. Trims the channel's stream and, in the same step, forgets
// the channel once its stream is empty, so that an append cannot slip in between and leave
// a channel with events that trimming no longer visits. Returns the entries removed.
const RedisStorage::Script trim_script{R"lua(
local key = 'eventstream:events:' .. ARGV[1]
local removed = redis.call('XTRIM', key, 'MINID', '0-' .. ARGV[2])
if redis.call('XLEN', key) == 0 then redis.call('SREM', 'eventstream:channels', ARGV[1]) end
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

} // namespace

// A connection of the pool for one call, returned afterwards; a broken one is dropped.
class RedisStorage::Lease {
public:
  explicit Lease(RedisStorage& storage) : storage_(storage) {
    std::lock_guard lock(storage_.mutex_);
    if (!storage_.idle_.empty()) {
      connection_ = std::move(storage_.idle_.back());
      storage_.idle_.pop_back();
    } else {
      connection_ = std::make_unique<redis::RedisConnection>(storage_.endpoint_);
    }
  }
  ~Lease() {
    std::lock_guard lock(storage_.mutex_);
    storage_.idle_.push_back(std::move(connection_));
  }
  redis::RedisConnection& operator*() { return *connection_; }

private:
  RedisStorage& storage_;
  std::unique_ptr<redis::RedisConnection> connection_;
};

RedisStorage::RedisStorage(redis::Endpoint endpoint) : endpoint_(std::move(endpoint)) {}

std::vector<Reply> RedisStorage::run(const std::vector<redis::RedisConnection::Command>& commands) {
  try {
    Lease connection(*this);
    return (*connection).pipeline(commands);
  } catch (const redis::RedisError& e) {
    metrics::metrics().redis_errors.fetch_add(1, std::memory_order_relaxed);
    throw StorageError(std::string(e.what()) + "; try again when Redis is back");
  }
}

Reply RedisStorage::eval(const Script& script, redis::RedisConnection::Command call) {
  call.insert(call.begin(), {"EVALSHA", script.sha1, "0"});
  Reply reply = run({call}).front();
  if (reply.kind == Reply::Kind::error && reply.text.starts_with("NOSCRIPT")) { // Redis restarted: nothing ran
    call[0] = "EVAL";
    call[1] = script.text;
    reply = run({call}).front();
  }
  return reply;
}

std::vector<std::uint64_t> RedisStorage::append(const std::vector<NewEvent>& events, Clock::time_point now) {
  redis::RedisConnection::Command args{std::to_string(millis(now))};
  for (const auto& e : events) {
    args.insert(args.end(), {std::string(e.channel), std::string(e.type), std::string(e.data),
                             std::to_string(e.skip_users.size())});
    args.insert(args.end(), e.skip_users.begin(), e.skip_users.end());
  }
  Reply reply = eval(append_script, std::move(args));
  expect_no_error(reply, "an append");
  std::vector<std::uint64_t> ids;
  for (const auto& id : reply.elements) ids.push_back(static_cast<std::uint64_t>(id.integer));
  return ids;
}

ChannelRange RedisStorage::range(const std::string& channel) {
  auto replies = run({{"GET", prefix + "head:" + channel}, {"XRANGE", prefix + "events:" + channel, "-", "+", "COUNT", "1"}});
  expect_no_error(replies[1], "a range");
  std::uint64_t head = replies[0].kind == Reply::Kind::bulk ? number(replies[0].text) : 0;
  const auto& oldest = replies[1].elements;
  return {oldest.empty() ? head + 1 : sequence(oldest[0].elements[0].text), head};
}

std::vector<StoredEvent> RedisStorage::read(const std::string& channel, std::uint64_t after, std::size_t limit) {
  Reply reply = run({{"XRANGE", prefix + "events:" + channel, "(0-" + std::to_string(after), "+", "COUNT",
                      std::to_string(limit)}})
                    .front();
  expect_no_error(reply, "a read");
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

std::size_t RedisStorage::trim(Clock::time_point cutoff, std::size_t limit) {
  auto members = run({{"SMEMBERS", prefix + "channels"}}).front();
  std::size_t removed = 0;
  auto before = std::to_string(millis(cutoff));
  for (const auto& member : members.elements) {
    if (removed >= limit) break;
    const std::string& channel = member.text;
    std::string key = prefix + "events:" + channel;
    auto oldest = run({{"XRANGE", key, "-", "+", "COUNT", std::to_string(limit - removed)}}).front();
    std::size_t expired = 0;
    for (const auto& entry : oldest.elements) {
      const auto& fields = entry.elements[1].elements;
      bool old = false;
      for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
        if (fields[i].text == "at") old = number(fields[i + 1].text) < number(before);
      if (!old) break; // entries of a channel are in time order
      ++expired;
    }
    if (expired == 0) continue;
    // MINID keeps the entries from the first one that has not expired.
    auto first_kept = expired < oldest.elements.size() ? sequence(oldest.elements[expired].elements[0].text)
                                                       : sequence(oldest.elements[expired - 1].elements[0].text) + 1;
    Reply reply = eval(trim_script, {channel, std::to_string(first_kept)});
    expect_no_error(reply, "a trim");
    removed += static_cast<std::size_t>(reply.integer);
  }
  return removed;
}

} // namespace es::storage
