// SIGTERM/SIGINT: streams are ended cleanly and the process exits 0 promptly.
#include <gtest/gtest.h>

#include <csignal>

#include "support/server_process.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

TEST(Shutdown, OpenStreamsGetTheirFinalChunk) {
  for (int signal : {SIGTERM, SIGINT}) {
    ServerProcess server;
    std::vector<std::unique_ptr<SseClient>> clients;
    for (int i = 0; i < 5; ++i) {
      clients.push_back(std::make_unique<SseClient>(server.host(), server.port(), "/events/?channel=s"));
      ASSERT_EQ(clients.back()->next_event()->type, "stream-open");
    }
    auto started = Clock::now();
    EXPECT_EQ(server.stop(signal, 5s), 0) << server.stderr_text();
    EXPECT_LT(Clock::now() - started, 3s);
    for (auto& client : clients) {
      EXPECT_TRUE(client->ended(2s));
      EXPECT_TRUE(client->raw().ends_with("0\r\n\r\n"));
    }
  }
}

TEST(Shutdown, StartupLineSaysWhereItListens) {
  ServerProcess server;
  EXPECT_NE(server.stdout_text().find("listening on " + server.base_url()), std::string::npos)
      << server.stdout_text();
}

TEST(Shutdown, ABusyPortIsAClearError) {
  ServerProcess first;
  auto second = run_eventstream({"serve", "127.0.0.1:" + std::to_string(first.port()), "--storage", "none"}, "", 10s);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("cannot listen on 127.0.0.1 port " + std::to_string(first.port())), std::string::npos)
      << second.err;
}

TEST(Shutdown, ListensOnIpv6Loopback) {
  ServerProcess server({}, "[::1]:0");
  SseClient client("::1", server.port(), "/events/?channel=v6");
  ASSERT_EQ(client.next_event()->type, "stream-open");
}
