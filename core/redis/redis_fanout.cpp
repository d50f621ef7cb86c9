#include "redis/redis_fanout.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <random>
#include <unordered_map>

#include "metrics/metrics.hpp"
#include "redis/channel_keys.hpp"
#include "redis/redis_subscribers.hpp"
#include "util/log.hpp"

namespace es::redis {
namespace {

// Kicks, for every instance. Events came here too before instances subscribed per
// channel; an instance still takes them from here, so one not upgraded yet is heard.
const std::string kick_channel = "eventstream:fanout";
// How long a channel no stream holds stays subscribed (see channel_interest.hpp).
constexpr auto linger = std::chrono::seconds(3);
// A SUBSCRIBE not confirmed by then means a hung Redis: the connection is replaced.
constexpr auto confirm_within = std::chrono::seconds(5);

// `<length>:<bytes>`: any bytes, no escaping.
void append_netstring(std::string& out, std::string_view text) {
  out += std::to_string(text.size());
  out += ':';
  out += text;
}

std::optional<std::string_view> take_netstring(std::string_view& in) {
  auto colon = in.find(':');
  std::size_t size = 0;
  if (colon == std::string_view::npos) return std::nullopt;
  auto [end, ec] = std::from_chars(in.data(), in.data() + colon, size);
  if (ec != std::errc() || end != in.data() + colon || in.size() - colon - 1 < size) return std::nullopt;
  auto text = in.substr(colon + 1, size);
  in.remove_prefix(colon + 1 + size);
  return text;
}

} // namespace

// A Mercure update travels as its id and stored form, from which make_event rebuilds it.
std::string encode_event(const hub::Event& event) {
  if (event.update) {
    std::string message = "m";
    append_netstring(message, event.channel);
    append_netstring(message, std::to_string(event.id));
    append_netstring(message, event.update->id);
    append_netstring(message, event.update->stored);
    return message;
  }
  std::string message = "e";
  append_netstring(message, event.channel);
  append_netstring(message, std::to_string(event.id));
  append_netstring(message, event.head);
  append_netstring(message, event.body);
  for (const auto& user : event.skip_users) append_netstring(message, user);
  return message;
}

namespace {

RedisError refused(const Reply& error) {
  if (error.text.find("unknown command") != std::string::npos)
    return RedisError("Redis refused SUBSCRIBE (" + error.text + "); a Redis Cluster needs Redis 7 or later (SSUBSCRIBE)");
  if (error.text.starts_with("NOPERM"))
    return RedisError("Redis refused SUBSCRIBE (" + error.text + "); allow the channels eventstream:* to this Redis user");
  return RedisError("Redis refused SUBSCRIBE (" + error.text + ")");
}

} // namespace

hub::EventPtr decode_event(std::string_view message) {
  bool update = message.starts_with("m");
  if (!update && !message.starts_with("e")) return nullptr;
  message.remove_prefix(1);
  auto channel = take_netstring(message), id = take_netstring(message), head = take_netstring(message),
       body = take_netstring(message);
  if (!channel || !id || !head || !body) return nullptr;
  std::uint64_t number = 0;
  std::from_chars(id->data(), id->data() + id->size(), number);
  if (update) return message.empty() ? hub::make_event(std::string(*channel), number, *head, *body, {}) : nullptr;
  std::vector<std::string> skip_users;
  while (!message.empty()) {
    auto user = take_netstring(message);
    if (!user) return nullptr;
    skip_users.emplace_back(*user);
  }
  return hub::make_encoded_event(std::string(*channel), number, std::string(*head), std::string(*body),
                                 std::move(skip_users));
}

RedisFanout::RedisFanout(Target target, hub::Hubs& hubs, const std::vector<std::string>& kept)
    : nodes_(std::move(target)), hubs_(hubs), interest_(linger), instance_(std::to_string(std::random_device{}())) {
  for (const auto& channel : kept) interest_.keep(channel);
  listener_ = std::thread([this] { listen(); });
  hubs_.set_source(&interest_);
}

// After the I/O threads are done: no shard asks the interest any more.
RedisFanout::~RedisFanout() {
  stopping_ = true;
  listener_.join();
  hubs_.set_source(nullptr);
}

bool RedisFanout::wait_until_subscribed(std::chrono::milliseconds limit) {
  std::unique_lock lock(subscribed_mutex_);
  return subscribed_changed_.wait_for(lock, limit, [&] { return subscribed_; });
}

// One message per channel of a committed group, its events in order, all PUBLISHed in
// one write per node (SPUBLISH, to the channel's shard, on a cluster); every instance
// holding the channel hands its message to its hub as one publish. A channel whose
// PUBLISH Redis refuses (an ACL, say) reaches this instance's streams directly, and the
// others' at their next event, from storage.
void RedisFanout::publish(const std::vector<hub::EventPtr>& events) {
  std::vector<RedisNodes::Routed> commands;
  std::vector<std::vector<hub::EventPtr>> grouped; // of commands[i]
  std::unordered_map<std::string_view, std::size_t> index;
  for (const auto& event : events) {
    auto [it, fresh] = index.try_emplace(event->channel, commands.size());
    if (fresh) {
      auto live = live_channel(event->channel);
      commands.push_back({live, {nodes_.cluster() ? "SPUBLISH" : "PUBLISH", live, "g"}});
      grouped.emplace_back();
    }
    append_netstring(commands[it->second].command[2], encode_event(*event));
    grouped[it->second].push_back(event);
  }
  auto replies = nodes_.run(commands);
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].kind != Reply::Kind::error) continue;
    metrics::metrics().redis_errors.fetch_add(1, std::memory_order_relaxed);
    log_once_a_minute(refused_publish_logged_, LogLevel::warn,
                      "Redis refused PUBLISH (" + replies[i].text + "); events reach only this instance's streams"
                      " live. Allow the channels eventstream:* to this Redis user");
    std::size_t count = grouped[i].size();
    hubs_.publish(std::move(grouped[i]), {count});
  }
}

void RedisFanout::kick(const std::string& user, const std::string& channel, bool application_allows) {
  std::string message = "k";
  append_netstring(message, instance_);
  append_netstring(message, user);
  append_netstring(message, channel);
  append_netstring(message, application_allows ? "1" : "0");
  nodes_.run({{"", {"PUBLISH", kick_channel, std::move(message)}}});
}

void RedisFanout::deliver(const std::string& message) {
  if (message.starts_with("k")) {
    std::string_view in = std::string_view(message).substr(1);
    auto from = take_netstring(in), user = take_netstring(in), channel = take_netstring(in), allows = take_netstring(in);
    if (!from || !user || !channel || !allows || *from == instance_) return;
    hubs_.kick(std::string(*user), std::string(*channel), *allows == "1", [](std::size_t) {});
    return;
  }
  std::vector<hub::EventPtr> events;
  std::string_view in = std::string_view(message);
  bool group = in.starts_with("g");
  if (group) in.remove_prefix(1);
  while (group && !in.empty()) {
    auto encoded = take_netstring(in);
    auto event = encoded ? decode_event(*encoded) : nullptr;
    if (!event) break;
    events.push_back(std::move(event));
  }
  if (!group || !in.empty() || events.empty()) {
    log(LogLevel::warn, "ignored a malformed message from Redis");
    return;
  }
  std::size_t count = events.size();
  hubs_.publish(std::move(events), {count});
}

bool RedisFanout::subscribed() {
  std::lock_guard lock(subscribed_mutex_);
  return subscribed_;
}

namespace {

std::vector<std::string> live_channels(const std::vector<std::string>& channels) {
  std::vector<std::string> names;
  names.reserve(channels.size());
  for (const auto& channel : channels) names.push_back(live_channel(channel));
  return names;
}

} // namespace

void RedisFanout::subscribe_all(RedisSubscribers& subscribers) {
  auto names = live_channels(interest_.subscribe_again());
  subscribers.subscribe(names);
  subscribers.subscribe_plain(kick_channel);
  // Events that come meanwhile are delivered; the catch-up after this covers their streams.
  for (std::size_t confirmed = 0; confirmed < names.size() + 1;) {
    auto push = subscribers.next(std::chrono::seconds(5), -1);
    if (!push) throw RedisError("Redis at " + nodes_.describe() + " did not confirm SUBSCRIBE within 5 s");
    confirmed += on_push(*push);
  }
}

void RedisFanout::take_changes(RedisSubscribers& subscribers) {
  auto changes = interest_.take(ChannelInterest::Clock::now());
  if (!changes.subscribe.empty()) subscribers.subscribe(live_channels(changes.subscribe));
  if (!changes.unsubscribe.empty()) subscribers.unsubscribe(live_channels(changes.unsubscribe));
}

bool RedisFanout::on_push(const Reply& push) {
  if (push.kind == Reply::Kind::error) throw refused(push);
  if (push.kind != Reply::Kind::array || push.elements.size() != 3) return false;
  const auto& kind = push.elements[0].text;
  if (kind == "message") {
    metrics::metrics().redis_messages.fetch_add(1, std::memory_order_relaxed);
    deliver(push.elements[2].text);
  }
  if (kind != "subscribe") return false;
  if (auto channel = channel_of_live(push.elements[1].text)) interest_.confirmed(*channel);
  return true;
}

// Its own connections in subscriber mode, reconnecting with backoff (0.1 s doubling to
// 5 s) for as long as the server runs.
void RedisFanout::listen() {
  auto backoff = std::chrono::milliseconds(100);
  bool was_up = false;
  while (!stopping_) {
    try {
      RedisSubscribers subscribers(nodes_);
      subscribe_all(subscribers);
      {
        std::lock_guard lock(subscribed_mutex_);
        subscribed_ = true;
      }
      subscribed_changed_.notify_all();
      log(LogLevel::info, "receiving events of other instances through Redis at " + nodes_.describe());
      // What was published while this subscription was down reached no stream here:
      // stored channels catch up from storage, the others are reset. Before the first
      // subscription, only streams that opened without waiting for it can have missed
      // anything (the server waits for it before it listens, unless Redis is slow). A
      // Redis that has just restarted takes subscriptions while it still loads its data
      // and answers reads with LOADING: the catch-up waits until it can read.
      bool missed = interest_.unwaited();
      if (std::exchange(was_up, true) || missed) {
        nodes_.wait_ready(std::chrono::seconds(60));
        hubs_.missed_all();
      }
      backoff = std::chrono::milliseconds(100);
      auto next_take = std::chrono::steady_clock::now();
      while (!stopping_) {
        // At once for a newly held channel; lingering ones are let go within 0.2 s of due.
        if (interest_.fresh() || std::chrono::steady_clock::now() >= next_take) {
          take_changes(subscribers);
          auto now = std::chrono::steady_clock::now();
          subscribers.keep_alive(now, confirm_within);
          next_take = now + std::chrono::milliseconds(200);
          // New streams wait for their subscriptions: a Redis that answers none is hung.
          if (interest_.overdue(now, confirm_within))
            throw RedisError("Redis at " + nodes_.describe() + " confirmed no SUBSCRIBE within " +
                             std::to_string(confirm_within.count()) + " s");
        }
        if (auto push = subscribers.next(std::chrono::milliseconds(200), interest_.wake_fd())) on_push(*push);
        else next_take = {}; // woken, or nothing came: look now
      }
    } catch (const RedisError& e) {
      interest_.disconnected();
      nodes_.forget_map();
      metrics::metrics().redis_errors.fetch_add(1, std::memory_order_relaxed);
      {
        std::lock_guard lock(subscribed_mutex_);
        subscribed_ = false;
      }
      log(LogLevel::warn, std::string("live delivery between instances is interrupted: ") + e.what() +
                              "; reconnecting");
      for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stopping_; waited += std::chrono::milliseconds(50)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        interest_.take(ChannelInterest::Clock::now()); // nothing to send: keeps the queue short
      }
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
}

} // namespace es::redis
