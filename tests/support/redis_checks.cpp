#include "support/redis_checks.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <ctime>

#include "support/jwt_signing.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"
#include "support/webhook_server.hpp"

namespace es::test {

void expect_a_kick_reaches_another_instance(const std::string& redis_url) {
  std::atomic<bool> allowed{true};
  WebhookServer app([&](const std::string&, const std::string&) { return allowed ? 200 : 403; });
  std::vector<std::string> args{"--storage", "redis", "--redis", redis_url, "--auth-secret", "s", "--auth-url",
                                app.url(), "--auth-cache", "0"};
  ServerProcess a(args), b(args);
  auto alice = sign_jwt("HS256", "s", R"({"sub": "alice", "exp": )" + std::to_string(std::time(nullptr) + 600) + "}");
  SseClient on_b(b.host(), b.port(), "/events/?channel=room", {{"Authorization", "Bearer " + alice}});
  ASSERT_EQ(on_b.next_event()->type, "stream-open");
  allowed = false;
  auto kicked = run_eventstream({"kick", "--url", a.base_url(), "alice", "room"});
  EXPECT_EQ(kicked.exit_code, 0) << kicked.err;
  auto error = on_b.next_event();
  ASSERT_TRUE(error) << b.stderr_text();
  EXPECT_EQ(error->type, "stream-error");
  EXPECT_TRUE(on_b.ended());
}

} // namespace es::test
