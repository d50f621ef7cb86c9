// A subscriber that stops reading must not stall anyone, nor grow the server without
// bound, nor miss events silently: on stored channels it is caught up from storage, on
// live-only ones it is told with a stream-reset.
#include <gtest/gtest.h>

#include <thread>

#include "support/publish.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

// Publishes `batches` x 50 events of ~4 KB on channel "flood" (data `[n, "xxx..."]`),
// checking after each batch that `healthy` got all of it, in order.
void flood(const ServerProcess& server, SseClient& healthy, int batches) {
  constexpr int per_batch = 50;
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
}

} // namespace

TEST(Backpressure, StalledReaderOnAStoredChannelIsCaughtUpFromStorage) {
  ServerProcess server({"--subscriber-queue", "16"});
  SseClient stalled(server.host(), server.port(), "/events/?channel=flood", {}, "GET", 4096);
  SseClient healthy(server.host(), server.port(), "/events/?channel=flood");
  ASSERT_EQ(stalled.next_event()->type, "stream-open");
  ASSERT_EQ(healthy.next_event()->type, "stream-open");
  ASSERT_NO_FATAL_FAILURE(flood(server, healthy, 40));

  for (int n = 0; n < 40 * 50; ++n) {
    auto event = stalled.next_event();
    ASSERT_TRUE(event);
    ASSERT_EQ(event->type, "e");
    ASSERT_EQ(event->id, "flood:" + std::to_string(n + 1));
    ASSERT_EQ(event->data.substr(0, event->data.find(',')), "[" + std::to_string(n));
  }
  publish(server, "flood", "after", "1");
  EXPECT_EQ(stalled.next_event()->type, "after");
}

// A client that reads nothing while far more is published than its socket buffers
// and its mailbox hold (bounded by `limit`, events or bytes) gets the events it could
// take, then a stream-reset, then live events again.
void stalled_reader_gets_a_reset(const std::vector<std::string>& limit) {
  std::vector<std::string> args = limit;
  args.insert(args.end(), {"--storage", "none"});
  ServerProcess server(args);
  SseClient stalled(server.host(), server.port(), "/events/?channel=flood", {}, "GET", 4096);
  SseClient healthy(server.host(), server.port(), "/events/?channel=flood");
  ASSERT_EQ(stalled.next_event()->type, "stream-open");
  ASSERT_EQ(healthy.next_event()->type, "stream-open");

  // Far more than the stalled client's socket buffers and mailbox hold together.
  constexpr int batches = 40, per_batch = 50;
  ASSERT_NO_FATAL_FAILURE(flood(server, healthy, batches));
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

TEST(Backpressure, StalledReaderOnALiveChannelGetsAReset) {
  stalled_reader_gets_a_reset({"--subscriber-queue", "16"});
}

TEST(Backpressure, AMailboxIsBoundedInBytesToo) {
  stalled_reader_gets_a_reset({"--subscriber-queue-bytes", "4096"});
}

TEST(Backpressure, AReaderThatStopsForGoodIsDisconnected) {
  ServerProcess server({"--write-timeout", "1", "--keep-alive", "1"});
  SseClient stalled(server.host(), server.port(), "/events/?channel=flood", {}, "GET", 4096);
  SseClient healthy(server.host(), server.port(), "/events/?channel=flood");
  ASSERT_EQ(stalled.next_event()->type, "stream-open");
  ASSERT_EQ(healthy.next_event()->type, "stream-open");
  ASSERT_NO_FATAL_FAILURE(flood(server, healthy, 20));
  std::this_thread::sleep_for(3s);
  EXPECT_TRUE(stalled.connection_closed(10s));
  EXPECT_NE(server.stderr_text().find("the client stopped reading (write timed out)"), std::string::npos);
}
