// Instances sharing a Redis Cluster of Debian's redis-server: events stored per shard,
// delivered over sharded pub/sub, a failover survived; and a Redis of eventstream 0.1
// moved to the keys a cluster can shard.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <map>
#include <set>
#include <thread>

#include "redis/channel_keys.hpp"
#include "redis/key_slot.hpp"
#include "redis/redis_connection.hpp"
#include "redis/redis_url.hpp"
#include "support/publish.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_checks.hpp"
#include "support/redis_process.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

// A channel name on each of the three shards `redis-cli --cluster create` makes.
std::vector<std::string> one_channel_per_shard() {
  std::map<int, std::string> by_shard;
  for (int n = 0; by_shard.size() < 3; ++n) {
    std::string name = "room" + std::to_string(n);
    by_shard.try_emplace(es::redis::key_slot(es::redis::live_channel(name)) / 5462, name);
  }
  return {by_shard[0], by_shard[1], by_shard[2]};
}

std::int64_t shard_subscribers(const RedisCluster& cluster, const std::string& channel) {
  auto live = es::redis::live_channel(channel);
  auto out = cluster.cli(cluster.primary_port_of(live), "pubsub shardnumsub '" + live + "'");
  return std::stoll(out.substr(out.find('\n') + 1));
}

// The ids of the message events of `events` on `channel`, in order.
std::vector<long> ids_on(const std::vector<SseEvent>& events, const std::string& channel) {
  std::vector<long> ids;
  for (const auto& e : events)
    if (e.type == "message" && e.id && e.id->starts_with(channel + ":")) ids.push_back(std::stol(e.id->substr(channel.size() + 1)));
  return ids;
}

} // namespace

TEST(RedisCluster, InstancesShareEventsStoredAndDeliveredPerShard) {
  RedisCluster cluster(3, 0);
  std::vector<std::string> args{"--storage", "redis", "--redis", cluster.url()};
  ServerProcess a(args), b(args);
  EXPECT_NE(a.stdout_text().find("storage: redis redis-cluster://127.0.0.1:"), std::string::npos) << a.stdout_text();
  auto rooms = one_channel_per_shard();
  std::vector<std::unique_ptr<SseClient>> on_b;
  for (const auto& room : rooms) {
    on_b.push_back(std::make_unique<SseClient>(b.host(), b.port(), "/events/?channel=" + room));
    ASSERT_EQ(on_b.back()->next_event()->type, "stream-open");
  }
  // Only b holds the channels: each shard sends their events to b alone.
  for (const auto& room : rooms) EXPECT_EQ(shard_subscribers(cluster, room), 1) << room;

  for (int n = 0; n < 5; ++n)
    for (const auto& room : rooms) ASSERT_EQ(publish_body(n % 2 ? a : b, R"({"channel": ")" + room + R"(", "data": 1})").status, 200);
  // One request whose events live on three shards.
  std::string batch = R"({"items": [)";
  for (const auto& room : rooms) batch += std::string(batch.ends_with("[") ? "" : ",") + R"({"channel": ")" + room + R"(", "data": "last"})";
  ASSERT_EQ(publish_body(a, batch + "]}").status, 200);
  for (std::size_t i = 0; i < rooms.size(); ++i) {
    auto events = on_b[i]->events_until([&](const SseEvent& e) { return e.data == "\"last\""; }, 10s);
    EXPECT_EQ(ids_on(events, rooms[i]), (std::vector<long>{1, 2, 3, 4, 5, 6})) << rooms[i] << on_b[i]->body();
  }

  // A client of a resumes on a from b's ids, read from each shard's storage.
  SseClient resumed(a.host(), a.port(), "/events/?channel=" + rooms[2], {{"Last-Event-ID", rooms[2] + ":4"}});
  auto replay = resumed.events_until([](const SseEvent& e) { return e.data == "\"last\""; }, 10s);
  EXPECT_EQ(ids_on(replay, rooms[2]), (std::vector<long>{5, 6})) << resumed.body();

  // One Redis named as a cluster is a clear error.
  RedisProcess single;
  auto as_cluster = run_eventstream({"serve", "127.0.0.1:0", "--storage", "redis", "--redis",
                                     "redis-cluster://127.0.0.1:" + std::to_string(single.port()), "--redis-wait", "0"});
  EXPECT_NE(as_cluster.exit_code, 0);
  EXPECT_NE(as_cluster.err.find("give --redis redis://HOST:PORT"), std::string::npos) << as_cluster.err;
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
}

// Kicks travel on plain pub/sub, which a cluster carries to every node.
TEST(RedisCluster, AKickOnOneInstanceEndsTheStreamOnAnother) {
  RedisCluster cluster(3, 0);
  expect_a_kick_reaches_another_instance(cluster.url());
}

// A replica takes over a killed primary: publishes fail clearly meanwhile, and every one
// that was answered (each waited for a replica: --redis-replicas 1) reaches the stream
// on the other instance, in order, once, and stays readable from storage. Two replicas
// each, so that the new primary still has one to wait for.
TEST(RedisCluster, AFailoverOfAPrimaryLosesNothingAcknowledged) {
  RedisCluster cluster(3, 2);
  std::vector<std::string> args{"--storage", "redis", "--redis", cluster.url(), "--redis-replicas", "1"};
  ServerProcess a(args), b(args);
  const std::string channel = "orders";
  SseClient on_b(b.host(), b.port(), "/events/?channel=" + channel);
  ASSERT_EQ(on_b.next_event()->type, "stream-open");

  std::atomic<bool> failed_over{false};
  std::thread killer;
  std::vector<std::string> acknowledged;
  int refused = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  for (int n = 1, after = 0; after < 20 && std::chrono::steady_clock::now() < deadline; ++n) {
    if (n == 20) killer = std::thread([&] {
      cluster.kill_primary_of(es::redis::head_key(channel));
      failed_over = true;
    });
    auto answer = publish_body(a, R"({"channel": ")" + channel + R"(", "data": )" + std::to_string(n) + "}");
    if (answer.status == 200) acknowledged.push_back(std::to_string(n));
    else if (answer.status == 503) ++refused;
    else FAIL() << answer.status << " " << answer.body;
    if (failed_over && answer.status == 200) ++after;
    std::this_thread::sleep_for(10ms);
  }
  if (killer.joinable()) killer.join();
  ASSERT_TRUE(failed_over);
  ASSERT_FALSE(acknowledged.empty());
  ASSERT_GE(acknowledged.size(), 39u) << "publishing did not recover after the failover\n" << a.stderr_text();

  auto check = [&](SseClient& client, const char* who) {
    auto events = client.events_until([&](const SseEvent& e) { return e.data == acknowledged.back(); }, 30s);
    std::vector<std::string> got;
    long last_id = 0;
    for (const auto& e : events) {
      if (e.type != "message") continue;
      got.push_back(e.data);
      long id = std::stol(e.id.value_or(channel + ":0").substr(channel.size() + 1));
      EXPECT_GT(id, last_id) << who;
      last_id = id;
    }
    for (const auto& data : acknowledged)
      EXPECT_NE(std::find(got.begin(), got.end(), data), got.end())
          << who << ": " << data << " was acknowledged but never arrived\n" << client.body() << b.stderr_text();
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size()) << who << ": an event arrived twice";
  };
  check(on_b, "live on b");
  SseClient from_storage(b.host(), b.port(), "/events/?channel=" + channel, {{"Last-Event-ID", channel + ":0"}});
  check(from_storage, "read from storage");
  EXPECT_NE(b.stderr_text().find("live delivery between instances is interrupted"), std::string::npos);
  RecordProperty("refused_during_failover", refused);
}

// A resharding moves a channel's slot while it is published to and followed: the
// publisher follows ASK (keys moved, slot not yet) and then MOVED; the stream's shard
// unsubscribes it (Redis 7), so its instance subscribes again on the new primary and
// catches up. Every event arrives, in order, once.
TEST(RedisCluster, AReshardedChannelLosesNothing) {
  RedisCluster cluster(3, 0);
  std::vector<std::string> args{"--storage", "redis", "--redis", cluster.url()};
  ServerProcess a(args), b(args);
  const std::string channel = "moving";
  SseClient on_b(b.host(), b.port(), "/events/?channel=" + channel);
  ASSERT_EQ(on_b.next_event()->type, "stream-open");
  int n = 0;
  auto send = [&] { ASSERT_EQ(publish_body(a, R"({"channel": ")" + channel + R"(", "data": )" + std::to_string(++n) + "}").status, 200); };
  for (int i = 0; i < 5; ++i) send();
  int was = cluster.primary_port_of(es::redis::head_key(channel));
  int now = cluster.move_slot_of(es::redis::head_key(channel), [&] {
    for (int i = 0; i < 5; ++i) send(); // ASK
  });
  EXPECT_NE(now, was);
  for (int i = 0; i < 5; ++i) send(); // MOVED, then the new primary
  auto events = on_b.events_until([&](const SseEvent& e) { return e.data == std::to_string(n); }, 15s);
  std::vector<long> expected;
  for (long id = 1; id <= n; ++id) expected.push_back(id);
  EXPECT_EQ(ids_on(events, channel), expected) << on_b.body() << b.stderr_text();
  // The stream is still live on the channel's new shard.
  send();
  auto last = on_b.next_event(10s);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->id, channel + ":" + std::to_string(n)) << b.stderr_text();
  EXPECT_EQ(shard_subscribers(cluster, channel), 1);
  EXPECT_NE(b.stderr_text().find("moved the slot of eventstream:{c:moving}:live"), std::string::npos) << b.stderr_text();
}

// Keys of eventstream 0.1 carry no hash tag: serve refuses them, migrate renames them,
// and the channel's ids go on where they were.
TEST(RedisCluster, TheKeysOfVersion01AreMovedByMigrate) {
  RedisProcess redis;
  {
    es::redis::RedisConnection old(es::redis::parse_redis_url(redis.url()));
    auto at = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count());
    old.pipeline({{"SET", "eventstream:head:test", "2"},
                  {"XADD", "eventstream:events:test", "0-1", "t", "message", "d", "\"one\"", "at", at},
                  {"XADD", "eventstream:events:test", "0-2", "t", "message", "d", "\"two\"", "at", at},
                  {"SADD", "eventstream:channels", "test"}});
  }
  auto refused = run_eventstream({"serve", "127.0.0.1:0", "--storage", "redis", "--redis", redis.url()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("run 'eventstream migrate --redis URL'"), std::string::npos) << refused.err;
  auto listed = run_eventstream({"migrate", "--redis", redis.url(), "--list"});
  EXPECT_NE(listed.out.find("[ ] hash-tagged keys"), std::string::npos) << listed.out << listed.err;
  {
    // A migration cut short after a channel's events moved and before its head did.
    es::redis::RedisConnection admin(es::redis::parse_redis_url(redis.url()));
    admin.run({"RENAME", "eventstream:events:test", es::redis::events_key("test")});
  }
  auto migrated = run_eventstream({"migrate", "--redis", redis.url()});
  EXPECT_EQ(migrated.exit_code, 0) << migrated.err;
  EXPECT_NE(migrated.out.find("Moved the keys of 1 channels"), std::string::npos) << migrated.out;
  auto again = run_eventstream({"migrate", "--redis", redis.url()});
  EXPECT_NE(again.out.find("Nothing to migrate"), std::string::npos) << again.out;

  ServerProcess server({"--storage", "redis", "--redis", redis.url()});
  publish(server, "test", "message", "\"three\"");
  SseClient client(server.host(), server.port(), "/events/?channel=test", {{"Last-Event-ID", "test:0"}});
  auto events = client.events_until([](const SseEvent& e) { return e.data == "\"three\""; }, 10s);
  EXPECT_EQ(ids_on(events, "test"), (std::vector<long>{1, 2, 3})) << client.body();
  EXPECT_EQ(server.stop(), 0);
}
