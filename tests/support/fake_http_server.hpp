#pragma once
// A small real HTTP server on 127.0.0.1 standing in for a service that cannot run here
// (an application's webhook, ngrok's agent API, Fanout's realm API): it answers each
// request with what `handle` returns and remembers the requests. One connection at a
// time, one request each (Connection: close): the clients under test ask little.
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace es::test {

struct FakeRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const; // "" if absent; case-insensitive
};

struct FakeReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

class FakeHttpServer {
public:
  using Handler = std::function<FakeReply(const FakeRequest&)>;
  explicit FakeHttpServer(Handler handle);
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<FakeRequest> requests() const;

private:
  void serve();

  Handler handle_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<FakeRequest> requests_;
  std::thread thread_;
};

} // namespace es::test
