#pragma once
// Publishing to GRIP proxies (docs/protocol.md §12): every event is also sent to each
// configured proxy's publish endpoint, in the http-stream format, with `id`/`prev-id`
// for stored channels so the proxy can notice gaps. One worker thread per proxy sends
// batches of up to 100 items and retries failures with backoff; it never blocks the
// publisher, and a proxy that is down only costs log lines and, past a bounded queue,
// the oldest items (the proxy recovers gaps from the origin).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "grip/grip_url.hpp"
#include "hub/event.hpp"

namespace es::grip {

// One publish item (JSON text) for an event, as django-eventstream 4.5.1 writes it.
std::string publish_item(const hub::Event& event);

// The two items that end `user`'s held streams which include `channel`: a forbidden
// stream-error, then close. Unlike 4.5.1's, the error is JSON, require_sub names the
// proxy channel (percent-encoded), and `id` (with suffixes -1, -2) is the caller's.
std::vector<std::string> kick_items(const std::string& user, const std::string& channel, const std::string& id);

// The body of one POST /publish/.
std::string publish_body(const std::vector<std::string>& items);

// The User-Agent of what eventstream publishes to GRIP proxies.
constexpr std::string_view grip_publisher_agent = "eventstream/" EVENTSTREAM_VERSION;

// Sends one body to one proxy with its authentication. Returns "" or what went wrong.
std::string post_to_proxy(const Proxy& proxy, const std::string& body, void* curl);

class GripPublisher {
public:
  explicit GripPublisher(std::vector<Proxy> proxies);
  ~GripPublisher();
  GripPublisher(const GripPublisher&) = delete;
  GripPublisher& operator=(const GripPublisher&) = delete;

  void publish(const std::vector<hub::EventPtr>& events);
  // Sends kick_items to every proxy.
  void kick(const std::string& user, const std::string& channel);

private:
  struct Lane {
    Proxy proxy;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::string> items;
    std::size_t bytes = 0; // of `items`
    std::atomic<bool> stopping{false};
    std::thread worker;
  };
  static void work(Lane& lane);
  void enqueue(const std::vector<std::string>& items);

  std::vector<std::unique_ptr<Lane>> lanes_;
  std::string kick_prefix_;
  std::atomic<std::uint64_t> kicks_{0};
};

} // namespace es::grip
