// The Redis protocol and connection, against Debian's real redis-server.
#include <gtest/gtest.h>

#include "redis/channel_keys.hpp"
#include "redis/key_slot.hpp"
#include "redis/redis_connection.hpp"
#include "redis/redis_url.hpp"
#include "redis/resp.hpp"
#include "support/redis_process.hpp"

using namespace es::redis;

TEST(RedisUrl, ClusterForms) {
  auto cluster = parse_redis_target("redis-cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002");
  ASSERT_TRUE(cluster.cluster);
  ASSERT_EQ(cluster.seeds.size(), 3u);
  EXPECT_EQ(cluster.seeds[1].host, "10.0.0.2");
  EXPECT_EQ(cluster.seeds[1].port, 7001);
  EXPECT_EQ(cluster.seeds[2].host, "::1");
  EXPECT_EQ(cluster.seeds[2].password, "p@ss"); // every node, the cluster's credentials
  EXPECT_EQ(cluster.seeds[2].user, "app");
  EXPECT_EQ(cluster.describe(), "redis-cluster://10.0.0.1:7000,10.0.0.2:7001,::1:7002");
  EXPECT_FALSE(parse_redis_target("redis://h:1").cluster);
  EXPECT_THROW(parse_redis_target("redis-cluster://h:1/2"), std::invalid_argument); // a cluster has only db 0
  EXPECT_THROW(parse_redis_target("redis-cluster://h:1,,h:2"), std::invalid_argument);
  EXPECT_THROW(parse_redis_target("redis-cluster://"), std::invalid_argument);
  EXPECT_THROW(parse_redis_target("redis-cluster://h:99999"), std::invalid_argument);
}

// Redis Cluster's own examples (cluster spec: CRC16 of "123456789" is 0x31C3).
TEST(KeySlot, HashesAsRedisClusterDoes) {
  EXPECT_EQ(key_slot("123456789"), 0x31C3 % slot_count);
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_NE(key_slot("foo{}{bar}"), key_slot("bar")); // an empty tag is none: the whole key counts
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
  EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
}

// A channel's keys share its slot whatever its name, and name it back.
TEST(ChannelKeys, OneSlotPerChannelAndEachNameItsOwn) {
  for (std::string channel : {"room", "}x", "a}b", "{c:x}", "", "events-room/1 \xC3\xBC"}) {
    EXPECT_EQ(key_slot(head_key(channel)), key_slot(events_key(channel))) << channel;
    EXPECT_EQ(key_slot(head_key(channel)), key_slot(live_channel(channel))) << channel;
    EXPECT_EQ(channel_of_events_key(events_key(channel)), channel);
    EXPECT_EQ(channel_of_live(live_channel(channel)), channel);
  }
  EXPECT_NE(head_key("x}:events"), events_key("x"));
  EXPECT_EQ(channel_of_live(events_key("x")), std::nullopt);
  EXPECT_EQ(channel_of_events_key("eventstream:events:x"), std::nullopt); // 0.1's
}

TEST(RedisUrl, Forms) {
  auto plain = parse_redis_url("redis://localhost:6380/2");
  EXPECT_EQ(plain.host, "localhost");
  EXPECT_EQ(plain.port, 6380);
  EXPECT_EQ(plain.db, 2);
  auto secret = parse_redis_url("redis://:p%40ss@10.0.0.5");
  EXPECT_EQ(secret.password, "p@ss");
  EXPECT_EQ(secret.port, 6379);
  EXPECT_EQ(parse_redis_url("redis://app:pw@[::1]:7000").host, "::1");
  EXPECT_EQ(parse_redis_url("redis://app:pw@[::1]:7000").user, "app");
  auto socket = parse_redis_url("unix:///run/redis/redis.sock?db=3");
  EXPECT_EQ(socket.socket_path, "/run/redis/redis.sock");
  EXPECT_EQ(socket.db, 3);
  EXPECT_EQ(socket.describe(), "unix:///run/redis/redis.sock/3");
  EXPECT_THROW(parse_redis_url("localhost:6379"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://host:99999"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://host/x"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("unix://relative.sock"), std::invalid_argument);
  EXPECT_EQ(parse_redis_url("redis://[::1]").port, 6379);
  EXPECT_THROW(parse_redis_url("redis://[::1"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://[]:6379"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://[::1]6379"), std::invalid_argument);
}

TEST(Resp, CommandsAndRepliesSplitAnywhere) {
  std::string out;
  append_command(out, {"SET", "k", "a b\r\n"});
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na b\r\n\r\n");

  const std::string replies = "+OK\r\n-ERR no\r\n:42\r\n$-1\r\n$5\r\nab\r\nc\r\n*2\r\n$1\r\nx\r\n*1\r\n:7\r\n*-1\r\n";
  for (std::size_t split = 0; split <= replies.size(); ++split) {
    ReplyReader reader;
    reader.feed(std::string_view(replies).substr(0, split));
    std::vector<Reply> got;
    while (auto r = reader.next()) got.push_back(*r);
    reader.feed(std::string_view(replies).substr(split));
    while (auto r = reader.next()) got.push_back(*r);
    ASSERT_EQ(got.size(), 7u) << split;
    EXPECT_EQ(got[0].text, "OK");
    EXPECT_EQ(got[1].kind, Reply::Kind::error);
    EXPECT_EQ(got[2].integer, 42);
    EXPECT_EQ(got[3].kind, Reply::Kind::null);
    EXPECT_EQ(got[4].text, "ab\r\nc");
    EXPECT_EQ(got[5].elements.size(), 2u);
    EXPECT_EQ(got[5].elements[1].elements[0].integer, 7);
    EXPECT_EQ(got[6].kind, Reply::Kind::null);
  }
  ReplyReader bad;
  bad.feed("?what\r\n");
  EXPECT_THROW(bad.next(), std::runtime_error);
}

// Found by fuzzing: the reader reserved room for an array's count before any element
// arrived, so a count of 10^12 threw bad_alloc (ASan: allocation-size-too-big).
TEST(Resp, AnArrayCountReservesNoMoreThanHasArrived) {
  ReplyReader reader;
  reader.feed("*1000000000000\r\n:1\r\n:2\r\n");
  EXPECT_FALSE(reader.next()); // incomplete, as it would be
  ReplyReader complete;
  complete.feed("*2\r\n:1\r\n");
  EXPECT_FALSE(complete.next());
  complete.feed(":2\r\n");
  auto reply = complete.next();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->elements.size(), 2u);
}

TEST(RedisConnection, PipelinesAuthSelectAndReconnects) {
  es::test::RedisProcess redis("s3cret");
  RedisConnection connection(parse_redis_url("redis://:s3cret@127.0.0.1:" + std::to_string(redis.port()) + "/1"));
  auto replies = connection.pipeline({{"SET", "k", "v"}, {"GET", "k"}, {"INCR", "k"}});
  EXPECT_EQ(replies[0].text, "OK");
  EXPECT_EQ(replies[1].text, "v");
  EXPECT_EQ(replies[2].kind, Reply::Kind::error); // an error reply is returned, not thrown

  RedisConnection over_socket(parse_redis_url("unix://:s3cret@" + redis.socket_path() + "?db=1"));
  EXPECT_EQ(over_socket.run({"GET", "k"}).text, "v");

  redis.stop();
  try {
    connection.run({"PING"});
    FAIL() << "no error with Redis down";
  } catch (const RedisError& e) {
    EXPECT_NE(std::string(e.what()).find("Redis at redis://127.0.0.1:"), std::string::npos) << e.what();
  }
  redis.start();
  EXPECT_EQ(connection.run({"PING"}).text, "PONG"); // connected again by itself

  RedisConnection wrong(parse_redis_url("redis://:nope@127.0.0.1:" + std::to_string(redis.port())));
  try {
    wrong.run({"PING"});
    FAIL() << "a wrong password was accepted";
  } catch (const RedisError& e) {
    EXPECT_NE(std::string(e.what()).find("refused AUTH"), std::string::npos) << e.what();
  }
}
