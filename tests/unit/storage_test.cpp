// Every storage implementation must behave the same: one suite, run against each (Redis:
// Debian's redis-server, started per test).
#include <gtest/gtest.h>

#include <memory>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/memory_storage.hpp"
#include "storage/redis_storage.hpp"
#include "storage/sqlite_storage.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_process.hpp"
#include "support/temp_dir.hpp"

using namespace es::storage;
using namespace std::chrono_literals;

class StorageContract : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    if (GetParam() == "sqlite" || GetParam() == "sqlite_normal") {
      storage = std::make_unique<SqliteStorage>(dir.file("events.db"), 0,
                                                GetParam() == "sqlite" ? Sync::full : Sync::normal);
    } else if (GetParam() == "redis") {
      redis = std::make_unique<es::test::RedisProcess>();
      storage = std::make_unique<RedisStorage>(es::redis::parse_redis_target(redis->url()));
    } else if (GetParam() == "redis_cluster") {
      // Channels a, b, c... fall in different slots of three shards.
      cluster = std::make_unique<es::test::RedisCluster>(3, 0);
      storage = std::make_unique<RedisStorage>(es::redis::parse_redis_target(cluster->url()));
    } else {
      storage = std::make_unique<MemoryStorage>(1000);
    }
  }
  std::vector<std::uint64_t> append(std::vector<NewEvent> events, Clock::time_point at = Clock::now()) {
    return storage->append(events, at);
  }
  es::test::TempDir dir;
  std::unique_ptr<es::test::RedisProcess> redis;
  std::unique_ptr<es::test::RedisCluster> cluster;
  std::unique_ptr<Storage> storage;
};

TEST_P(StorageContract, IdsCountPerChannel) {
  EXPECT_EQ(append({{"a", "t", "1"}, {"b", "t", "2"}, {"a", "t", "3"}}), (std::vector<std::uint64_t>{1, 1, 2}));
  EXPECT_EQ(append({{"a", "t", "4"}}), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(storage->range("a").head, 3u);
  EXPECT_EQ(storage->range("a").first, 1u);
  EXPECT_EQ(storage->range("never").head, 0u);
}

TEST_P(StorageContract, ReadsPagesInOrder) {
  for (int n = 0; n < 10; ++n) append({{"c", "t", std::to_string(n + 1)}});
  auto page = storage->read("c", 3, 4);
  ASSERT_EQ(page.size(), 4u);
  EXPECT_EQ(page.front().id, 4u);
  EXPECT_EQ(page.back().id, 7u);
  EXPECT_EQ(page.back().data, "7");
  EXPECT_EQ(page.back().type, "t");
  EXPECT_TRUE(storage->read("c", 10, 5).empty());
}

TEST_P(StorageContract, TrimsOldestFirstAndKeepsHeads) {
  auto t0 = Clock::now() - 10min;
  append({{"c", "t", "1"}, {"d", "t", "1"}}, t0);
  append({{"c", "t", "2"}}, t0 + 1min);
  append({{"c", "t", "3"}}, t0 + 5min);
  EXPECT_EQ(storage->trim(t0 + 2min, 1000), 3u);
  EXPECT_EQ(storage->range("c").first, 3u);
  EXPECT_EQ(storage->range("c").head, 3u);
  EXPECT_EQ(storage->range("d").first, 2u); // nothing retained: head + 1
  EXPECT_EQ(storage->range("d").head, 1u);
  EXPECT_EQ(append({{"d", "t", "2"}}), (std::vector<std::uint64_t>{2}));
}

TEST_P(StorageContract, TrimmingIsBounded) {
  auto t0 = Clock::now() - 1h;
  std::vector<NewEvent> many(50, NewEvent{"e", "t", "x"});
  append(many, t0);
  EXPECT_EQ(storage->trim(Clock::now(), 20), 20u);
  EXPECT_EQ(storage->range("e").first, 21u);
}

TEST_P(StorageContract, SkippedUsersAreKept) {
  std::vector<std::string> skipped{"alice", "b\"ob"};
  append({{"s", "t", "1", skipped}, {"s", "t", "2"}});
  auto events = storage->read("s", 0, 10);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].skip_users, skipped);
  EXPECT_TRUE(events[1].skip_users.empty());
}

INSTANTIATE_TEST_SUITE_P(Each, StorageContract, ::testing::Values("sqlite", "sqlite_normal", "memory", "redis", "redis_cluster"));

TEST(SqliteStorage, TypeAndDataAreTextColumns) {
  es::test::TempDir dir;
  {
    SqliteStorage storage(dir.file("events.db"), 0, Sync::full);
    storage.append({{"c", "message", "{\"a\": 1}"}}, Clock::now());
  }
  SQLite::Database db(dir.file("events.db"));
  EXPECT_EQ(db.execAndGet("SELECT typeof(type) || ',' || typeof(data) FROM eventstream_events").getString(),
            "text,text");
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM eventstream_events WHERE type = 'message'").getInt(), 1);
}

// Scripts are called by their SHA1; a Redis that has forgotten them (a restart, SCRIPT FLUSH)
// is sent the script again, and nothing runs twice.
TEST(RedisStorage, AForgottenScriptIsLoadedAgain) {
  es::test::RedisProcess redis;
  RedisStorage storage(es::redis::parse_redis_target(redis.url()));
  auto t0 = Clock::now();
  EXPECT_EQ(storage.append({{"a", "t", "1"}}, t0), (std::vector<std::uint64_t>{1}));
  es::redis::RedisConnection admin(es::redis::parse_redis_url(redis.url()));
  admin.pipeline({{"SCRIPT", "FLUSH"}});
  EXPECT_EQ(storage.append({{"a", "t", "2"}}, t0 + 1min), (std::vector<std::uint64_t>{2}));
  admin.pipeline({{"SCRIPT", "FLUSH"}});
  EXPECT_EQ(storage.trim(t0 + 30s, 10), 1u);
  EXPECT_EQ(storage.read("a", 0, 10).size(), 1u);
  EXPECT_EQ(storage.range("a").head, 2u);
}
