#pragma once
// A small HTTP server on 127.0.0.1 playing the application's permission webhook: it
// answers each POST with the status `decide` returns for (user, channel), after an
// optional delay, and remembers what it was asked.
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace es::test {

class WebhookServer {
public:
  struct Call {
    std::string user; // "" for null (anonymous)
    std::string channel;
    std::string cookie;
  };
  using Decide = std::function<int(const std::string& user, const std::string& channel)>;

  explicit WebhookServer(Decide decide, std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  ~WebhookServer();

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/can-read"; }
  std::vector<Call> calls() const;

private:
  void serve();

  Decide decide_;
  std::chrono::milliseconds delay_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<Call> calls_;
  std::thread thread_;
};

} // namespace es::test
