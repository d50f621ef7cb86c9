#include "redis/redis_fanout.hpp"

#include <charconv>
#include <random>

#include "metrics/metrics.hpp"
#include "util/log.hpp"

namespace es::redis {
namespace {

const std::string channel_name = "eventstream:fanout";

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

RedisFanout::RedisFanout(Endpoint endpoint, hub::Hubs& hubs)
    : endpoint_(std::move(endpoint)), hubs_(hubs), instance_(std::to_string(std::random_device{}())),
      publisher_(endpoint_) {
  listener_ = std::thread([this] { listen(); });
}

RedisFanout::~RedisFanout() {
  stopping_ = true;
  listener_.join();
}

bool RedisFanout::wait_until_subscribed(std::chrono::milliseconds limit) {
  std::unique_lock lock(subscribed_mutex_);
  return subscribed_changed_.wait_for(lock, limit, [&] { return subscribed_; });
}

// One message per committed group: one PUBLISH, and every instance hands the group to
// its hub as one publish, as the committing instance would have.
void RedisFanout::publish(const std::vector<hub::EventPtr>& events) {
  std::string message = "g";
  for (const auto& event : events) append_netstring(message, encode_event(*event));
  std::lock_guard lock(publisher_mutex_);
  publisher_.run({"PUBLISH", channel_name, message});
}

void RedisFanout::kick(const std::string& user, const std::string& channel, bool application_allows) {
  std::string message = "k";
  append_netstring(message, instance_);
  append_netstring(message, user);
  append_netstring(message, channel);
  append_netstring(message, application_allows ? "1" : "0");
  std::lock_guard lock(publisher_mutex_);
  publisher_.run({"PUBLISH", channel_name, message});
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
    log(LogLevel::warn, "ignored a malformed message on Redis channel " + channel_name);
    return;
  }
  std::size_t count = events.size();
  hubs_.publish(std::move(events), {count});
}

bool RedisFanout::subscribed() {
  std::lock_guard lock(subscribed_mutex_);
  return subscribed_;
}

// Its own connection in subscriber mode, reconnecting with backoff (0.1 s doubling to
// 5 s) for as long as the server runs.
void RedisFanout::listen() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping_) {
    try {
      RedisConnection subscriber(endpoint_);
      subscriber.run({"SUBSCRIBE", channel_name});
      {
        std::lock_guard lock(subscribed_mutex_);
        subscribed_ = true;
      }
      subscribed_changed_.notify_all();
      log(LogLevel::info, "receiving events of other instances through Redis at " + endpoint_.describe());
      // What was published while this subscription was down reached no stream here:
      // stored channels catch up from storage, the others are reset. A Redis that has
      // just restarted takes subscriptions while it still loads its data and answers
      // reads with LOADING: the catch-up waits until it can read.
      wait_for_redis(endpoint_, std::chrono::seconds(60));
      hubs_.missed_all();
      backoff = std::chrono::milliseconds(100);
      while (!stopping_) {
        auto push = subscriber.next_push(std::chrono::milliseconds(200));
        if (!push || push->kind != Reply::Kind::array || push->elements.size() != 3) continue;
        if (push->elements[0].text == "message") deliver(push->elements[2].text);
      }
    } catch (const RedisError& e) {
      metrics::metrics().redis_errors.fetch_add(1, std::memory_order_relaxed);
      {
        std::lock_guard lock(subscribed_mutex_);
        subscribed_ = false;
      }
      log(LogLevel::warn, std::string("live delivery between instances is interrupted: ") + e.what() +
                              "; reconnecting");
      for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stopping_; waited += std::chrono::milliseconds(50))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
}

} // namespace es::redis
