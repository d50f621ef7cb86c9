// Several instances sharing events through Redis (--storage redis), with Debian's real
// redis-server started by the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <thread>

#include "redis/redis_connection.hpp"
#include "redis/channel_keys.hpp"
#include "redis/redis_fanout.hpp"
#include "redis/redis_url.hpp"
#include "support/publish.hpp"
#include "support/pushpin_process.hpp"
#include "support/redis_checks.hpp"
#include "support/redis_process.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

void until(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
  for (auto waited = 0ms; waited < limit && !done(); waited += 20ms) std::this_thread::sleep_for(20ms);
}

// How many connections are subscribed to `channel`'s Redis channel: which instances
// receive its events.
std::int64_t redis_subscribers(const RedisProcess& redis, const std::string& channel) {
  es::redis::RedisConnection connection(es::redis::parse_redis_url(redis.url()));
  auto reply = connection.run({"PUBSUB", "NUMSUB", es::redis::live_channel(channel)});
  return reply.elements.size() == 2 ? reply.elements[1].integer : -1;
}

} // namespace

TEST(Redis, AClientResumesOnAnotherInstanceWithAnIdFromTheFirst) {
  RedisProcess redis;
  ServerProcess a({"--storage", "redis", "--redis", redis.url()});
  ServerProcess b({"--storage", "redis", "--redis", redis.url()});
  EXPECT_NE(a.stdout_text().find("storage: redis redis://127.0.0.1:"), std::string::npos) << a.stdout_text();

  SseClient on_a(a.host(), a.port(), "/events/?channel=test");
  ASSERT_EQ(on_a.next_event()->type, "stream-open");
  publish(a, "test", "message", "1");
  publish(b, "test", "message", "2"); // ids are shared: this is test:2 wherever it is published
  auto first = on_a.next_event();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, "test:1");
  publish(a, "test", "message", "3");

  SseClient on_b(b.host(), b.port(), "/events/?channel=test", {{"Last-Event-ID", *first->id}});
  ASSERT_EQ(on_b.next_event()->type, "stream-open");
  auto second = on_b.next_event(), third = on_b.next_event();
  ASSERT_TRUE(second && third);
  EXPECT_EQ(second->id, "test:2");
  EXPECT_EQ(second->data, "2");
  EXPECT_EQ(third->id, "test:3");
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
}

TEST(Redis, PublishesFailClearlyWhileRedisIsDownAndWorkWhenItIsBack) {
  RedisProcess redis;
  ServerProcess server({"--storage", "redis", "--redis", redis.url()});
  publish(server, "test", "message", "1");
  redis.stop();
  auto refused = publish_body(server, R"({"channel": "test", "data": 2})");
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("Redis at redis://127.0.0.1:"), std::string::npos) << refused.body;
  redis.start();
  EXPECT_EQ(publish_body(server, R"({"channel": "test", "data": 3})").status, 200);

  auto migrate = run_eventstream({"migrate", "--redis", redis.url()});
  EXPECT_EQ(migrate.exit_code, 0) << migrate.err;
  EXPECT_NE(migrate.out.find("Nothing to migrate: Redis at"), std::string::npos);
  auto missing = run_eventstream({"serve", "--storage", "redis"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--storage redis needs --redis URL"), std::string::npos) << missing.err;
  EXPECT_EQ(server.stop(), 0);
}

// Storage is read off the I/O threads: with one thread and a hung Redis, a stream
// waiting for its placement holds up nothing else, and once Redis is back nothing is
// lost.
TEST(Redis, AHungRedisHoldsUpNoOtherRequest) {
  RedisProcess redis;
  ServerProcess server({"--threads", "1", "--storage", "redis", "--redis", redis.url()});
  for (auto data : {"1", "2", "3"}) publish(server, "test", "message", data);
  SseClient live(server.host(), server.port(), "/events/?channel=test");
  ASSERT_EQ(live.next_event()->type, "stream-open");

  redis.suspend();
  SseClient resuming(server.host(), server.port(), "/events/?channel=test", {{"Last-Event-ID", "test:1"}});
  // Within the client's usual 5 s; on the I/O thread, the read would hold it for all of
  // Redis's timeout.
  EXPECT_EQ(http_request(server.host(), server.port(), "GET", "/healthz").status, 200);
  auto ready = http_request(server.host(), server.port(), "GET", "/readyz", {}, "", 30s);
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("storage unavailable"), std::string::npos) << ready.body;
  auto failed = resuming.next_event(30s);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->type, "stream-error");
  EXPECT_NE(failed->data.find("internal-error"), std::string::npos) << failed->data;

  redis.resume();
  EXPECT_EQ(http_request(server.host(), server.port(), "GET", "/readyz", {}, "", 30s).status, 200);
  publish(server, "test", "message", "4");
  auto fourth = live.next_event(10s);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->id, "test:4");
  SseClient again(server.host(), server.port(), "/events/?channel=test", {{"Last-Event-ID", "test:1"}});
  ASSERT_EQ(again.next_event()->type, "stream-open");
  for (auto id : {"test:2", "test:3", "test:4"}) {
    auto event = again.next_event();
    ASSERT_TRUE(event);
    EXPECT_EQ(event->id, id);
  }
  EXPECT_EQ(server.stop(), 0);
}

// A stream whose client hangs up while its read waits on a hung Redis still counts
// against --max-connections until the read is done: clients that connect, ask and hang
// up cannot queue reads without bound while every one of them waits.
TEST(Redis, AStreamWhoseClientLeftWhileItsReadWaitsStillCounts) {
  RedisProcess redis;
  ServerProcess server({"--threads", "1", "--storage", "redis", "--redis", redis.url()});
  publish(server, "test", "message", "1");
  auto metrics = [&] { return http_request(server.host(), server.port(), "GET", "/metrics").body; };
  auto until = [](const std::function<bool()>& done) {
    for (int i = 0; i < 200 && !done(); ++i) std::this_thread::sleep_for(20ms);
  };
  redis.suspend();
  {
    std::vector<std::unique_ptr<SseClient>> leaving;
    for (int i = 0; i < 3; ++i)
      leaving.push_back(std::make_unique<SseClient>(server.host(), server.port(), "/events/?channel=test",
                                                    Headers{{"Last-Event-ID", "test:0"}}));
    until([&] { return metrics().find("eventstream_streams_open 3\n") != std::string::npos; });
  }
  auto hung_up = [&] {
    auto log = server.stderr_text();
    std::size_t count = 0;
    for (auto at = log.find("client closed the connection"); at != std::string::npos;
         at = log.find("client closed the connection", at + 1))
      ++count;
    return count == 3;
  };
  until(hung_up);
  ASSERT_TRUE(hung_up()) << server.stderr_text();
  auto held = metrics();
  EXPECT_NE(held.find("eventstream_streams_open 3\n"), std::string::npos) << held;

  redis.resume();
  until([&] { return metrics().find("eventstream_streams_open 0\n") != std::string::npos; });
  EXPECT_NE(metrics().find("eventstream_streams_open 0\n"), std::string::npos);
  EXPECT_EQ(server.stop(), 0);
}

TEST(Redis, EventsPublishedAnywhereReachStreamsEverywhereInOrderOnce) {
  RedisProcess redis;
  std::vector<std::unique_ptr<ServerProcess>> instances;
  for (int i = 0; i < 3; ++i)
    instances.push_back(std::make_unique<ServerProcess>(
        std::vector<std::string>{"--storage", "redis", "--redis", redis.url(), "--reliable", "test"}));
  std::vector<std::unique_ptr<SseClient>> clients;
  for (auto& server : instances) {
    clients.push_back(std::make_unique<SseClient>(server->host(), server->port(), "/events/?channel=test&channel=live"));
    ASSERT_EQ(clients.back()->next_event()->type, "stream-open");
  }
  // Two instances publishing to one channel at once.
  std::thread other([&] {
    for (int n = 0; n < 20; ++n) ASSERT_EQ(publish_body(*instances[1], R"({"channel": "test", "data": "b"})").status, 200);
  });
  for (int n = 0; n < 20; ++n) ASSERT_EQ(publish_body(*instances[0], R"({"channel": "test", "data": "a"})").status, 200);
  other.join();
  ASSERT_EQ(publish_body(*instances[2], R"({"channel": "live", "data": "unstored"})").status, 200);
  for (auto& client : clients) {
    auto events = client->events_until([](const SseEvent& e) { return e.data == "\"unstored\""; }, std::chrono::seconds(10));
    ASSERT_EQ(events.size(), 41u);
    for (int n = 1; n <= 40; ++n) EXPECT_EQ(events[n - 1].id, "test:" + std::to_string(n)) << n;
  }

  auto mixed = run_eventstream({"serve", "--redis", redis.url()});
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_NE(mixed.err.find("use it with --storage redis"), std::string::npos) << mixed.err;
}

TEST(Redis, AKickOnOneInstanceEndsTheStreamOnAnother) {
  RedisProcess redis;
  expect_a_kick_reaches_another_instance(redis.url());
}

TEST(Redis, ARedisRestartLosesNoAcknowledgedEvent) {
  RedisProcess redis;
  std::vector<std::string> args{"--storage", "redis", "--redis", redis.url()};
  ServerProcess a(args), b(args);
  SseClient on_b(b.host(), b.port(), "/events/?channel=test");
  ASSERT_EQ(on_b.next_event()->type, "stream-open");

  std::vector<std::string> acknowledged;
  int failed = 0;
  for (int n = 1; n <= 60; ++n) {
    if (n == 20) redis.stop();
    if (n == 40) redis.start();
    auto answer = publish_body(a, R"({"channel": "test", "data": )" + std::to_string(n) + "}");
    if (answer.status == 200) acknowledged.push_back(std::to_string(n));
    else if (answer.status == 503) ++failed;
    else FAIL() << answer.status << " " << answer.body;
  }
  EXPECT_GE(failed, 15); // while Redis was down, publishes said so
  ASSERT_FALSE(acknowledged.empty());
  // Every acknowledged event reaches the stream on the other instance, in order, once:
  // live, or caught up from storage once delivery between instances is back.
  auto events = on_b.events_until([&](const SseEvent& e) { return e.data == acknowledged.back(); },
                                  std::chrono::seconds(15));
  std::vector<std::string> got;
  long last_id = 0;
  for (const auto& e : events) {
    if (e.type != "message") continue;
    got.push_back(e.data);
    long id = std::stol(e.id.value_or("test:0").substr(5));
    EXPECT_GT(id, last_id);
    last_id = id;
  }
  for (const auto& data : acknowledged)
    EXPECT_NE(std::find(got.begin(), got.end(), data), got.end())
        << data << " was acknowledged but never arrived\n" << on_b.body() << b.stderr_text() << a.stderr_text();
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size()) << "an event arrived twice";
}

TEST(Redis, StartupWaitsForRedisThenGivesUpClearly) {
  int port = free_port();
  auto refused = run_eventstream({"serve", "127.0.0.1:0", "--storage", "redis", "--redis",
                                  "redis://127.0.0.1:" + std::to_string(port), "--redis-wait", "1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("did not answer within 1 s"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--redis-wait"), std::string::npos);

  // Redis coming up while the server waits.
  RedisProcess redis;
  redis.stop();
  std::thread later([&] {
    // Long after the server's first attempt, even when the sanitizers slow its start.
    std::this_thread::sleep_for(std::chrono::seconds(3));
    redis.start();
  });
  ServerProcess server({"--storage", "redis", "--redis", redis.url(), "--redis-wait", "10"});
  later.join();
  EXPECT_NE(server.stderr_text().find("waiting for Redis at redis://127.0.0.1:"), std::string::npos);
  publish(server, "test", "message", "1");
  EXPECT_EQ(server.stop(), 0);
}

TEST(Redis, ClientsOfAKilledInstanceResumeOnAnotherAndLoseNothing) {
  RedisProcess redis;
  std::vector<std::string> args{"--storage", "redis", "--redis", redis.url()};
  ServerProcess a(args), b(args);
  SseClient on_a(a.host(), a.port(), "/events/?channel=test");
  ASSERT_EQ(on_a.next_event()->type, "stream-open");
  publish(a, "test", "message", "1");
  publish(b, "test", "message", "2");
  std::string last;
  for (int n = 0; n < 2; ++n) last = on_a.next_event()->id.value_or("");
  EXPECT_EQ(last, "test:2");
  EXPECT_EQ(a.stop(SIGKILL), 128 + SIGKILL);
  EXPECT_TRUE(on_a.connection_closed());
  publish(b, "test", "message", "3"); // while its client is away

  SseClient on_b(b.host(), b.port(), "/events/?channel=test", {{"Last-Event-ID", last}});
  ASSERT_EQ(on_b.next_event()->type, "stream-open");
  EXPECT_EQ(on_b.next_event()->id, "test:3");
  publish(b, "test", "message", "4");
  EXPECT_EQ(on_b.next_event()->id, "test:4");
}

TEST(Redis, TwoInstancesBehindPushpinShareOneStream) {
  RedisProcess redis;
  int port_a = free_port(), port_b = free_port();
  PushpinProcess pushpin({port_a, port_b});
  std::vector<std::string> args{"--storage", "redis", "--redis", redis.url(), "--grip-url", pushpin.control_url(),
                                "--grip-sig-key", PushpinProcess::sig_key, "--secret", "shared"};
  ServerProcess a(args, "127.0.0.1:" + std::to_string(port_a)), b(args, "127.0.0.1:" + std::to_string(port_b));
  auto client = pushpin.open_stream("/events/?channel=test");
  ASSERT_EQ(client->next_event()->type, "stream-open");
  for (int n = 1; n <= 6; ++n) publish(n % 2 ? a : b, "test", "message", std::to_string(n));
  auto events = client->events_until([](const SseEvent& e) { return e.id == "test:6"; }, std::chrono::seconds(15));
  std::vector<std::string> ids;
  for (const auto& e : events) ids.push_back(e.id.value_or(e.type));
  EXPECT_EQ(ids, (std::vector<std::string>{"test:1", "test:2", "test:3", "test:4", "test:5", "test:6"}))
      << pushpin.log_text();
}

TEST(Redis, WithRedisDownLiveEventsStillReachThisInstancesStreams) {
  RedisProcess redis;
  ServerProcess a({"--storage", "none", "--redis", redis.url()});
  SseClient stream(a.host(), a.port(), "/events/?channel=live");
  ASSERT_EQ(stream.next_event()->type, "stream-open");
  redis.stop();

  auto answer = publish_body(a, R"({"channel": "live", "type": "message", "data": 1})");
  EXPECT_EQ(answer.status, 200) << answer.body;
  auto event = stream.next_event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->type, "message");
  EXPECT_EQ(event->data, "1");
  EXPECT_NE(a.stderr_text().find("events reach only this instance's streams"), std::string::npos) << a.stderr_text();
  auto metrics = http_request(a.host(), a.port(), "GET", "/metrics").body;
  EXPECT_EQ(metrics.find("eventstream_redis_errors_total 0\n"), std::string::npos) << metrics;
}

TEST(Redis, SomethingElseThanRedisIsAClearError) {
  ServerProcess http_server; // an HTTP port where Redis was expected
  auto run = run_eventstream({"serve", "127.0.0.1:0", "--storage", "redis", "--redis",
                              "redis://127.0.0.1:" + std::to_string(http_server.port()), "--redis-wait", "1"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("does not speak Redis"), std::string::npos) << run.err;
  EXPECT_TRUE(http_server.running());
}


// Redis sends a channel's events only to the instances that serve it; an instance lets a
// channel go a little after its last stream did.
TEST(Redis, AnInstanceSubscribesOnlyToTheChannelsItsStreamsHold) {
  RedisProcess redis;
  std::vector<std::string> args{"--storage", "redis", "--redis", redis.url()};
  ServerProcess a(args), b(args), c(args);
  auto on_a = std::make_unique<SseClient>(a.host(), a.port(), "/events/?channel=news");
  SseClient on_b(b.host(), b.port(), "/events/?channel=news&channel=sport");
  ASSERT_EQ(on_a->next_event()->type, "stream-open");
  ASSERT_EQ(on_b.next_event()->type, "stream-open");
  until([&] { return redis_subscribers(redis, "news") == 2 && redis_subscribers(redis, "sport") == 1; });
  EXPECT_EQ(redis_subscribers(redis, "news"), 2);
  EXPECT_EQ(redis_subscribers(redis, "sport"), 1);
  EXPECT_EQ(redis_subscribers(redis, "weather"), 0);

  publish(c, "sport", "message", R"("goal")");
  publish(c, "news", "message", R"("headline")");
  auto first = on_b.next_event(), second = on_b.next_event(), on_a_first = on_a->next_event();
  ASSERT_TRUE(first && second && on_a_first);
  EXPECT_EQ(first->data, "\"goal\"");
  EXPECT_EQ(second->data, "\"headline\"");
  EXPECT_EQ(on_a_first->data, "\"headline\"");

  on_a.reset(); // a's last stream of news: let go after the linger (3 s)
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(redis_subscribers(redis, "news"), 2) << "let go before the linger";
  until([&] { return redis_subscribers(redis, "news") == 1; }, 10s);
  EXPECT_EQ(redis_subscribers(redis, "news"), 1);
  publish(c, "news", "message", R"("later")");
  EXPECT_EQ(on_b.next_event()->data, "\"later\"");
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
  EXPECT_EQ(c.stop(), 0);
}

// A channel's first stream on an instance opens once the instance's Redis subscription
// to it is up: an event published by another instance once the stream is open reaches
// it, stored or not (live-only channels have no storage to catch up from).
TEST(Redis, AnEventPublishedOnceAStreamIsOpenIsNotLost) {
  RedisProcess redis;
  std::vector<std::string> args{"--storage", "redis", "--redis", redis.url(), "--reliable", "stored-*"};
  ServerProcess a(args), b(args);
  for (int n = 0; n < 10; ++n) {
    for (std::string channel : {"live-" + std::to_string(n), "stored-" + std::to_string(n)}) {
      SseClient on_a(a.host(), a.port(), "/events/?channel=" + channel);
      ASSERT_EQ(on_a.next_event()->type, "stream-open");
      publish(b, channel, "message", std::to_string(n));
      auto event = on_a.next_event();
      ASSERT_TRUE(event) << channel;
      EXPECT_EQ(event->data, std::to_string(n));
    }
  }
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
}

// The same, made certain: while Redis answers nothing, the stream of a live-only channel
// (which reads no storage) does not open; it opens once the subscription is confirmed.
TEST(Redis, AStreamOpensOnlyOnceItsChannelsSubscriptionIsUp) {
  RedisProcess redis;
  std::vector<std::string> args{"--storage", "redis", "--redis", redis.url(), "--reliable", "stored-*"};
  ServerProcess a(args), b(args);
  redis.suspend();
  SseClient on_a(a.host(), a.port(), "/events/?channel=live");
  EXPECT_FALSE(on_a.next_event(500ms)) << "opened before its subscription was up";
  redis.resume();
  auto opened = on_a.next_event(10s);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->type, "stream-open");
  publish(b, "live", "message", "1");
  auto event = on_a.next_event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "1");
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
}
