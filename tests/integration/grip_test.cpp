// Publishing to a GRIP proxy: the real Pushpin from Debian, started by the test.
#include <gtest/gtest.h>

#include <thread>

#include "support/publish.hpp"
#include "support/pushpin_process.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

TEST(Grip, SendPublishesStraightToPushpin) {
  PushpinProcess pushpin(free_port());
  auto sent = run_eventstream(
      {"send", "--grip-url", pushpin.control_url(), "--reliable", "stored-*", "test", "message", R"({"n": 1})"});
  EXPECT_EQ(sent.exit_code, 0) << sent.err << pushpin.log_text();
  EXPECT_EQ(sent.out, "-\n");

  auto from_env = run_eventstream({"send", "test", "message", "1"}, "", 20s,
                                  {{"GRIP_URL", pushpin.control_url()}, {"EVENTSTREAM_RELIABLE", "stored-*"}});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
}

TEST(Grip, SendToAProxyThatIsDownFails) {
  auto sent = run_eventstream(
      {"send", "--grip-url", "http://127.0.0.1:" + std::to_string(free_port()), "--reliable", "stored-*", "t", "m", "1"});
  EXPECT_EQ(sent.exit_code, 1);
  EXPECT_NE(sent.err.find("publishing to the GRIP proxy failed"), std::string::npos) << sent.err;
  auto bad = run_eventstream({"send", "--grip-url", "localhost:5561", "t", "m", "1"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST(Grip, AProxyThatIsDownNeverHoldsUpLocalDelivery) {
  ServerProcess server({"--grip-url", "http://127.0.0.1:" + std::to_string(free_port())});
  SseClient client(server.host(), server.port(), "/events/?channel=a");
  ASSERT_EQ(client.next_event()->type, "stream-open");
  auto started = Clock::now();
  ASSERT_EQ(publish_body(server, numbered_batch("a", 1, 3)).status, 200);
  EXPECT_LT(Clock::now() - started, 1s);
  for (int n = 1; n <= 3; ++n) EXPECT_EQ(client.next_event()->id, "a:" + std::to_string(n));
  for (int i = 0; i < 30 && server.stderr_text().find("GRIP proxy failed") == std::string::npos; ++i)
    std::this_thread::sleep_for(100ms);
  EXPECT_NE(server.stderr_text().find("publishing 3 events to GRIP proxy failed"), std::string::npos)
      << server.stderr_text();
  EXPECT_EQ(server.stop(), 0);
}

// Events of 1 MB for a proxy that is down: what waits for it is bounded in bytes
// (64 MiB), long before the 100,000 items that bound it in number. One request of 70 of
// them reaches the bound at once, however fast the server publishes.
TEST(Grip, WhatWaitsForAProxyThatIsDownIsBoundedInBytes) {
  ServerProcess server({"--grip-url", "http://127.0.0.1:" + std::to_string(free_port()), "--storage", "none",
                        "--max-body", "100000000"});
  std::string item = R"({"channel": "a", "data": ")" + std::string(1000000, 'x') + "\"}";
  std::string batch = R"({"items": [)";
  for (int i = 0; i < 70; ++i) batch += (i ? ", " : "") + item;
  // 70 MB of JSON: a minute, for the sanitizer builds.
  auto answer = http_request(server.host(), server.port(), "POST", "/publish/", {{"Content-Type", "application/json"}},
                             batch + "]}", 60s);
  ASSERT_EQ(answer.status, 200) << answer.body;
  auto log = server.stderr_text();
  EXPECT_NE(log.find(" is behind; dropped the "), std::string::npos) << log.substr(0, 2000);
  EXPECT_EQ(server.stop(), 0);
}
