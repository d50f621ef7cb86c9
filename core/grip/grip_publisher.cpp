#include "grip/grip_publisher.hpp"

#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "grip/instructions.hpp"
#include "metrics/metrics.hpp"
#include "sse/encoder.hpp"
#include "sse/json_text.hpp"
#include "util/outgoing_http.hpp"
#include "util/log.hpp"
#include "util/url.hpp"

namespace es::grip {
namespace {

constexpr std::size_t batch_items = 100;
// What waits for a proxy that is down, in items and in bytes (events of 1 MB each would
// otherwise hold 100 GB).
constexpr std::size_t max_queued = 100000;
constexpr std::size_t max_queued_bytes = 64 << 20;
constexpr int attempts = 5; // backoff 0.5, 1, 2, 4 s between them

} // namespace

std::string publish_item(const hub::Event& event) {
  std::string item = "{";
  if (event.id) {
    item += "\"id\": \"" + std::to_string(event.id) + "\", \"prev-id\": \"" + std::to_string(event.id - 1) + "\", ";
  }
  // Users without a token are never skipped, here as on streams served directly; the
  // proxy knows them as "anonymous", a name no token may carry.
  std::string users;
  for (const auto& user : event.skip_users)
    if (user != "anonymous") users += (users.empty() ? "" : ",") + user;
  if (!users.empty()) {
    item += "\"meta\": {\"skip_users\": ";
    sse::append_python_json_string(item, users);
    item += "}, ";
  }
  item += "\"http-stream\": {\"content-filters\": [";
  std::string content;
  if (event.id) {
    item += "\"build-id\"";
    content = escape_build_id(event.head) + "id: %I\n" + escape_build_id(event.body);
  } else {
    content = event.head + event.body;
  }
  item += "], \"content\": ";
  sse::append_python_json_string(item, content);
  item += "}, \"channel\": ";
  sse::append_python_json_string(item, stream_channel(event.channel));
  item += "}";
  return item;
}

std::string publish_body(const std::vector<std::string>& items) {
  std::string body = "{\"items\": [";
  for (std::size_t i = 0; i < items.size(); ++i) body += (i ? ", " : "") + items[i];
  return body + "]}";
}

std::string post_to_proxy(const Proxy& proxy, const std::string& body, void* curl) {
  // Named, so that an eventstream server given this URL can tell it is being published to
  // by another (or itself) instead of by the proxy's publishers (docs/protocol.md §19).
  std::vector<std::string> headers{"User-Agent: " + std::string(grip_publisher_agent)};
  if (auto authorization = authorization_header(proxy); !authorization.empty()) headers.push_back(authorization);
  std::string url = proxy.publish_url();
  auto answer = http_post(curl, url, body, headers, std::chrono::seconds(10));
  if (!answer.sent) return url + ": " + answer.error;
  if (!answer.ok()) return url + " answered " + std::to_string(answer.status) + ": " + answer.body;
  return "";
}

std::vector<std::string> kick_items(const std::string& user, const std::string& channel, const std::string& id) {
  std::string head = "{\"id\": \"" + id + "-1\", ";
  std::string meta = "\"meta\": {\"require_sub\": ";
  sse::append_python_json_string(meta, stream_channel(channel));
  meta += "}, ";
  std::string tail = ", \"channel\": ";
  sse::append_python_json_string(tail, user_channel(user));
  tail += "}";

  std::string error = head + meta + "\"http-stream\": {\"content\": ";
  sse::append_python_json_string(error, sse::stream_error("forbidden", "Permission denied to channels: " + channel, {channel}));
  error += "}" + tail;
  std::string close = "{\"id\": \"" + id + "-2\", \"prev-id\": \"" + id + "-1\", " + meta +
                      "\"http-stream\": {\"action\": \"close\"}" + tail;
  return {error, close};
}

GripPublisher::GripPublisher(std::vector<Proxy> proxies) {
  // Proxies drop an item whose id they saw in the last minute: every kick needs its own.
  std::random_device random;
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "kick-%08x%08x-", random(), random());
  kick_prefix_ = prefix;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (auto& proxy : proxies) {
    auto lane = std::make_unique<Lane>();
    lane->proxy = std::move(proxy);
    lane->worker = std::thread([l = lane.get()] { work(*l); });
    lanes_.push_back(std::move(lane));
  }
}

GripPublisher::~GripPublisher() {
  for (auto& lane : lanes_) {
    {
      std::lock_guard lock(lane->mutex);
      lane->stopping = true;
    }
    lane->wake.notify_one();
    lane->worker.join();
  }
  curl_global_cleanup();
}

void GripPublisher::publish(const std::vector<hub::EventPtr>& events) {
  std::vector<std::string> items;
  items.reserve(events.size());
  // Mercure updates are for our own hub's subscribers: a GRIP proxy has no topics.
  for (const auto& event : events)
    if (!event->update) items.push_back(publish_item(*event));
  if (!items.empty()) enqueue(items);
}

void GripPublisher::kick(const std::string& user, const std::string& channel) {
  enqueue(kick_items(user, channel, kick_prefix_ + std::to_string(++kicks_)));
}

void GripPublisher::enqueue(const std::vector<std::string>& items) {
  for (auto& lane : lanes_) {
    std::size_t dropped = 0;
    {
      std::lock_guard lock(lane->mutex);
      lane->items.insert(lane->items.end(), items.begin(), items.end());
      for (const auto& item : items) lane->bytes += item.size();
      while (lane->items.size() > max_queued || lane->bytes > max_queued_bytes) {
        lane->bytes -= lane->items.front().size();
        lane->items.pop_front();
        ++dropped;
      }
    }
    lane->wake.notify_one();
    static std::atomic<std::int64_t> last_logged{0};
    if (dropped)
      log_once_a_minute(last_logged, LogLevel::warn,
                        "GRIP proxy " + redacted_url(lane->proxy.control_uri) + " is behind; dropped the " +
                            std::to_string(dropped) + " oldest items (it recovers gaps from the origin)");
  }
}

void GripPublisher::work(Lane& lane) {
  CURL* curl = curl_easy_init();
  while (true) {
    std::vector<std::string> batch;
    {
      std::unique_lock lock(lane.mutex);
      lane.wake.wait(lock, [&] { return lane.stopping || !lane.items.empty(); });
      if (lane.items.empty()) break; // stopping, and everything was sent
      while (!lane.items.empty() && batch.size() < batch_items) {
        lane.bytes -= lane.items.front().size();
        batch.push_back(std::move(lane.items.front()));
        lane.items.pop_front();
      }
    }
    std::string body = publish_body(batch);
    auto backoff = std::chrono::milliseconds(500);
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      std::string error = post_to_proxy(lane.proxy, body, curl);
      if (error.empty()) break;
      metrics::metrics().grip_publish_failures.fetch_add(1, std::memory_order_relaxed);
      bool last = attempt == attempts || lane.stopping;
      log(LogLevel::warn, "publishing " + std::to_string(batch.size()) + " events to GRIP proxy failed (" + error +
                              (last ? "); giving them up" : "); retrying"));
      if (last) {
        // Shutting down with the proxy unreachable: do not hold the exit up for the rest.
        if (lane.stopping) {
          std::lock_guard lock(lane.mutex);
          lane.items.clear();
          lane.bytes = 0;
        }
        break;
      }
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
  }
  curl_easy_cleanup(curl);
}

} // namespace es::grip
