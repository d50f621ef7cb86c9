// Stored events, ids and resuming (docs/protocol.md §3-5): what a client that reconnects receives.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "support/publish.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

// Ids list channels in no particular order; compare them as channel -> number.
std::map<std::string, std::string> pairs(const std::optional<std::string>& id) {
  std::map<std::string, std::string> out;
  std::string text = id.value_or("");
  std::string_view rest = text;
  while (!rest.empty()) {
    auto comma = std::min(rest.find(','), rest.size());
    auto pair = rest.substr(0, comma);
    auto colon = pair.rfind(':');
    out[std::string(pair.substr(0, colon))] = std::string(pair.substr(colon + 1));
    rest.remove_prefix(std::min(comma + 1, rest.size()));
  }
  return out;
}

using Pairs = std::map<std::string, std::string>;

SseEvent next(SseClient& client, std::chrono::milliseconds timeout = 5s) {
  auto event = client.next_event(timeout);
  if (!event) throw std::runtime_error("no event; body tail: " + client.body().substr(client.body().size() > 300 ? client.body().size() - 300 : 0));
  return *event;
}

void publish_numbers(const ServerProcess& server, const std::string& channel, int first, int count) {
  auto res = publish_body(server, numbered_batch(channel, first, count));
  if (res.status != 200) throw std::runtime_error("publish failed: " + res.body);
}

} // namespace

TEST(Resume, LastEventIdHeaderReplaysWhatWasMissed) {
  ServerProcess server;
  publish_numbers(server, "test", 1, 3);
  SseClient client(server.host(), server.port(), "/events/?channel=test", {{"Last-Event-ID", "test:1"}});
  ASSERT_EQ(next(client).type, "stream-open");
  auto second = next(client);
  EXPECT_EQ(second.data, "2");
  EXPECT_EQ(second.id, "test:2");
  EXPECT_EQ(next(client).id, "test:3");
  // Then live, continuing the ids.
  publish_numbers(server, "test", 4, 1);
  EXPECT_EQ(next(client).id, "test:4");
  EXPECT_TRUE(client.body().ends_with("event: n\nid: test:4\ndata: 4\n\n"));
}

TEST(Resume, QueryParameterWhenNoHeaderAndHeaderWins) {
  ServerProcess server;
  publish_numbers(server, "test", 1, 3);
  SseClient by_query(server.host(), server.port(), "/events/?channel=test&lastEventId=test:0&lastEventId=test:2&lastEventId=");
  ASSERT_EQ(next(by_query).type, "stream-open");
  EXPECT_EQ(next(by_query).id, "test:3"); // the last non-empty value counts

  SseClient other_spelling(server.host(), server.port(), "/events/?channel=test&last_event_id=test:1");
  ASSERT_EQ(next(other_spelling).type, "stream-open");
  EXPECT_EQ(next(other_spelling).id, "test:2");

  SseClient both(server.host(), server.port(), "/events/?channel=test&lastEventId=test:0",
                 {{"Last-Event-ID", "test:2"}});
  ASSERT_EQ(next(both).type, "stream-open");
  EXPECT_EQ(next(both).id, "test:3");
}

TEST(Resume, MultiChannelPositions) {
  ServerProcess server;
  publish_numbers(server, "a", 1, 2);
  publish_numbers(server, "b", 1, 1);
  publish_numbers(server, "c", 1, 1);
  // c has no position: it starts at its head. other:5 is not in the request: ignored.
  SseClient client(server.host(), server.port(), "/events/?channel=a&channel=b&channel=c",
                   {{"Last-Event-ID", "a:1,b:0,other:5"}});
  ASSERT_EQ(next(client).type, "stream-open");
  std::vector<Pairs> ids;
  std::vector<std::string> data;
  for (int i = 0; i < 2; ++i) {
    auto e = next(client);
    ids.push_back(pairs(e.id));
    data.push_back(e.data);
  }
  // Grouped by channel, in id order; every id carries every stored channel.
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<Pairs>{{{"a", "2"}, {"b", "0"}, {"c", "1"}}, {{"a", "2"}, {"b", "1"}, {"c", "1"}}}));
  EXPECT_FALSE(client.next_event(300ms));

  publish_numbers(server, "c", 2, 1);
  EXPECT_EQ(pairs(next(client).id), (Pairs{{"a", "2"}, {"b", "1"}, {"c", "2"}}));
}

TEST(Resume, ChannelWithNoEventsYetAppearsAsZero) {
  ServerProcess server;
  SseClient client(server.host(), server.port(), "/events/?channel=fresh&channel=other");
  ASSERT_EQ(next(client).type, "stream-open");
  publish_numbers(server, "other", 1, 1);
  EXPECT_EQ(pairs(next(client).id), (Pairs{{"fresh", "0"}, {"other", "1"}}));

  // And a client resuming from fresh:0 gets fresh's first event.
  publish_numbers(server, "fresh", 1, 1);
  SseClient resumed(server.host(), server.port(), "/events/?channel=fresh", {{"Last-Event-ID", "fresh:0"}});
  ASSERT_EQ(next(resumed).type, "stream-open");
  EXPECT_EQ(next(resumed).id, "fresh:1");
}

TEST(Resume, ChannelNamesArePercentEncodedInIds) {
  ServerProcess server;
  auto res = publish_body(server, R"({"channel": "a b,c:d/é%", "data": 1})");
  EXPECT_EQ(res.body, "{\"ids\": [\"a%20b%2Cc%3Ad/%C3%A9%25:1\"]}\n");
  publish_body(server, R"({"channel": "a b,c:d/é%", "data": 2})");
  SseClient client(server.host(), server.port(), "/events/?channel=a+b%2Cc%3Ad%2F%C3%A9%25",
                   {{"Last-Event-ID", "a%20b%2Cc%3Ad/%C3%A9%25:1"}});
  ASSERT_EQ(next(client).type, "stream-open");
  auto e = next(client);
  EXPECT_EQ(e.data, "2");
  EXPECT_EQ(e.id, "a%20b%2Cc%3Ad/%C3%A9%25:2");
}

TEST(Resume, UnknownPositionResetsToTheHead) {
  ServerProcess server;
  publish_numbers(server, "test", 1, 3);
  publish_numbers(server, "a", 1, 2);
  SseClient client(server.host(), server.port(), "/events/?channel=test&channel=a",
                   {{"Last-Event-ID", "test:999999,a:1"}});
  ASSERT_EQ(next(client).type, "stream-open");
  auto reset = next(client);
  EXPECT_EQ(reset.type, "stream-reset");
  EXPECT_EQ(reset.data, R"({"channels": ["test"]})");
  EXPECT_EQ(pairs(reset.id), (Pairs{{"test", "3"}, {"a", "1"}}));
  auto replayed = next(client);
  EXPECT_EQ(replayed.data, "2");
  EXPECT_EQ(pairs(replayed.id), (Pairs{{"test", "3"}, {"a", "2"}}));
}

TEST(Resume, TrimmedPositionsResetButTheHeadNeverDoes) {
  ServerProcess server({"--retention", "1s"});
  publish_numbers(server, "old", 1, 2);
  std::this_thread::sleep_for(2500ms); // past the retention, and past a trimming pass
  publish_numbers(server, "old", 3, 1);

  SseClient trimmed(server.host(), server.port(), "/events/?channel=old", {{"Last-Event-ID", "old:1"}});
  ASSERT_EQ(next(trimmed).type, "stream-open");
  auto reset = next(trimmed);
  EXPECT_EQ(reset.type, "stream-reset");
  EXPECT_EQ(reset.id, "old:3");

  SseClient from_start(server.host(), server.port(), "/events/?channel=old", {{"Last-Event-ID", "old:0"}});
  ASSERT_EQ(next(from_start).type, "stream-open");
  EXPECT_EQ(next(from_start).type, "stream-reset");

  // old:2 was trimmed, but its successor old:3 is kept: that resumes.
  SseClient kept(server.host(), server.port(), "/events/?channel=old", {{"Last-Event-ID", "old:2"}});
  ASSERT_EQ(next(kept).type, "stream-open");
  EXPECT_EQ(next(kept).id, "old:3");

  std::this_thread::sleep_for(2500ms); // now everything is trimmed; the head id stays valid
  SseClient at_head(server.host(), server.port(), "/events/?channel=old", {{"Last-Event-ID", "old:3"}});
  ASSERT_EQ(next(at_head).type, "stream-open");
  EXPECT_FALSE(at_head.next_event(300ms));
}

TEST(Resume, NoGapNoDuplicateWhileReplayRacesPublishing) {
  ServerProcess server;
  constexpr int total = 3000, batch = 10;
  std::atomic<int> published{0};
  std::thread publisher([&] {
    for (int n = 1; n <= total; n += batch) {
      publish_numbers(server, "race", n, batch);
      published = n + batch - 1;
    }
  });
  while (published < 500) std::this_thread::sleep_for(1ms);
  // Resume from far back while events keep coming: the replay and the live events
  // must join exactly.
  SseClient client(server.host(), server.port(), "/events/?channel=race", {{"Last-Event-ID", "race:100"}});
  ASSERT_EQ(next(client).type, "stream-open");
  for (int n = 101; n <= total; ++n) {
    auto e = next(client);
    ASSERT_EQ(e.id, "race:" + std::to_string(n));
    ASSERT_EQ(e.data, std::to_string(n));
  }
  publisher.join();
  EXPECT_FALSE(client.next_event(300ms));
}

TEST(Resume, AHundredThousandEventsBehindGetsThemAll) {
  ServerProcess server;
  constexpr int total = 100000, batch = 2000;
  for (int n = 1; n <= total; n += batch) publish_numbers(server, "big", n, batch);
  SseClient client(server.host(), server.port(), "/events/?channel=big", {{"Last-Event-ID", "big:0"}});
  ASSERT_EQ(next(client).type, "stream-open");
  for (int n = 1; n <= total; ++n) {
    auto e = next(client);
    ASSERT_EQ(e.id, "big:" + std::to_string(n));
  }
}

TEST(Resume, MemoryStorageHasTheSameSemanticsWithinItsBound) {
  ServerProcess server({"--storage", "memory", "--memory-max-events", "5"});
  publish_numbers(server, "m", 1, 10);
  SseClient evicted(server.host(), server.port(), "/events/?channel=m", {{"Last-Event-ID", "m:2"}});
  ASSERT_EQ(next(evicted).type, "stream-open");
  EXPECT_EQ(next(evicted).type, "stream-reset");
  SseClient kept(server.host(), server.port(), "/events/?channel=m", {{"Last-Event-ID", "m:6"}});
  ASSERT_EQ(next(kept).type, "stream-open");
  for (int n = 7; n <= 10; ++n) EXPECT_EQ(next(kept).id, "m:" + std::to_string(n));
}

TEST(Resume, OnlyReliableChannelsAreStored) {
  ServerProcess server({"--reliable", "keep-*"});
  auto res = publish_body(server, R"({"items": [{"channel": "keep-a", "data": 1}, {"channel": "other", "data": 2}]})");
  EXPECT_EQ(res.body, "{\"ids\": [\"keep-a:1\", null]}\n");
  SseClient client(server.host(), server.port(), "/events/?channel=keep-a&channel=other",
                   {{"Last-Event-ID", "keep-a:0,other:0"}});
  ASSERT_EQ(next(client).type, "stream-open");
  EXPECT_EQ(next(client).id, "keep-a:1");
  publish_numbers(server, "other", 5, 1);
  auto live = next(client);
  EXPECT_EQ(live.data, "5");
  EXPECT_EQ(live.id, "keep-a:1"); // a live-only event still carries the stream's position
}

// A crowd replays a stored channel, a third of it hanging up mid-replay, while an event
// is published as the replays end. Each client that stays gets everything, that event
// included, without another event to reveal it: one committed while a stream's last
// page was being read is read next. Then the server shuts down mid-replay, cleanly.
TEST(Resume, ACrowdReplayingWhileOthersHangUpAndEventsArriveMissesNothing) {
  ServerProcess server({"--threads", "2", "--keep-alive", "300"});
  publish_numbers(server, "crowd", 1, 150);
  int last = 150;
  constexpr int rounds = 10, clients = 30;
  auto resume = [&] {
    std::vector<std::unique_ptr<SseClient>> crowd;
    for (int i = 0; i < clients; ++i)
      crowd.push_back(std::make_unique<SseClient>(server.host(), server.port(), "/events/?channel=crowd",
                                                  Headers{{"Last-Event-ID", "crowd:0"}}));
    for (int i = 0; i < clients; i += 3) crowd[i]->close();
    return crowd;
  };
  for (int round = 0; round < rounds; ++round) {
    auto crowd = resume();
    publish_numbers(server, "crowd", ++last, 1);
    for (int i = 1; i < clients; ++i) {
      if (i % 3 == 0) continue;
      ASSERT_EQ(next(*crowd[i]).type, "stream-open");
      for (int n = 1; n <= last; ++n) ASSERT_EQ(next(*crowd[i]).id, "crowd:" + std::to_string(n)) << "client " << i;
    }
  }
  auto replaying = resume();
  publish_numbers(server, "crowd", ++last, 1);
  EXPECT_EQ(server.stop(), 0);
}
