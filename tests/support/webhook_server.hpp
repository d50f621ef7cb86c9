#pragma once
// The application's permission webhook, played by a FakeHttpServer: it answers each POST
// with the status `decide` returns for (user, channel), after an optional delay, and
// remembers what it was asked.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "support/fake_http_server.hpp"

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

  std::string url() const { return server_.url() + "/can-read"; }
  std::vector<Call> calls() const;

private:
  FakeHttpServer server_;
};

} // namespace es::test
