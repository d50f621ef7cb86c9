// A subscriber that stops reading must not stall anyone, nor grow the server without
// bound, nor miss events silently: it is told with a stream-reset.
#include <gtest/gtest.h>

#include "support/publish.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

TEST(Backpressure, StalledReaderGetsAResetAndOthersGetEverything) {
  ServerProcess server({"--subscriber-queue", "16"});
  SseClient stalled(server.host(), server.port(), "/events/?channel=flood", {}, "GET", 4096);
  SseClient healthy(server.host(), server.port(), "/events/?channel=flood");
  ASSERT_EQ(stalled.next_event()->type, "stream-open");
  ASSERT_EQ(healthy.next_event()->type, "stream-open");

  // Far more than the stalled client's socket buffers and mailbox hold together.
  constexpr int batches = 40, per_batch = 50;
  const std::string payload(4000, 'x');
  int n = 0;
  for (int b = 0; b < batches; ++b) {
    std::string body = R"({"items": [)";
    for (int i = 0; i < per_batch; ++i, ++n)
      body += std::string(i ? ", " : "") + R"({"channel": "flood", "type": "e", "data": [)" + std::to_string(n) +
              R"(, ")" + payload + "\"]}";
    body += "]}";
    ASSERT_EQ(publish_body(server, body).status, 200);
    for (int i = 0; i < per_batch; ++i) {
      auto event = healthy.next_event();
      ASSERT_TRUE(event);
      ASSERT_EQ(event->data.substr(0, event->data.find(',')), "[" + std::to_string(n - per_batch + i));
    }
  }
  publish(server, "flood", "last", "\"done\"");
  ASSERT_EQ(healthy.next_event()->type, "last");

  // The stalled client now reads: a prefix of the events in order, then the reset.
  int expected = 0;
  bool reset = false;
  while (auto event = stalled.next_event()) {
    if (event->type == "stream-reset") {
      EXPECT_EQ(event->data, R"({"channels": ["flood"]})");
      reset = true;
      break;
    }
    ASSERT_EQ(event->type, "e");
    ASSERT_EQ(event->data.substr(0, event->data.find(',')), "[" + std::to_string(expected++));
  }
  EXPECT_TRUE(reset);
  EXPECT_LT(expected, batches * per_batch);

  // And it is live again afterwards.
  publish(server, "flood", "after", "1");
  auto after = stalled.next_event();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->type, "after");
}
