// Several instances sharing events through Redis (--storage redis), with Debian's real
// redis-server started by the test.
#include <gtest/gtest.h>

#include "support/publish.hpp"
#include "support/redis_process.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"

using namespace es::test;

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
  redis.start(); // empty again: nothing is saved to disk in the test
  EXPECT_EQ(publish_body(server, R"({"channel": "test", "data": 3})").status, 200);

  auto migrate = run_eventstream({"migrate", "--redis", redis.url()});
  EXPECT_EQ(migrate.exit_code, 0) << migrate.err;
  EXPECT_NE(migrate.out.find("Nothing to migrate: Redis at"), std::string::npos);
  auto missing = run_eventstream({"serve", "--storage", "redis"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--storage redis needs --redis URL"), std::string::npos) << missing.err;
  EXPECT_EQ(server.stop(), 0);
}
