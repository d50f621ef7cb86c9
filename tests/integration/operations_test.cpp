// What an operator watches: /metrics, /healthz and /readyz, the access log with request
// ids, and the log file that SIGHUP reopens.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "support/http_client.hpp"
#include "support/publish.hpp"
#include "support/redis_process.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"

namespace es::test {
namespace {

// The value of one sample line of a Prometheus text answer ("name{labels} value").
double sample(const std::string& metrics, const std::string& name) {
  std::istringstream lines(metrics);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  ADD_FAILURE() << name << " is not in\n" << metrics;
  return -1;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Operations, MetricsCountWhatHappened) {
  ServerProcess server;
  SseClient stream(server.host(), server.port(), "/events/?channel=counted");
  ASSERT_EQ(stream.next_event()->type, "stream-open");
  for (int i = 1; i <= 3; ++i) publish(server, "counted", "message", std::to_string(i));
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(stream.next_event()->type, "message");
  SseClient replay(server.host(), server.port(), "/events/?channel=counted", {{"Last-Event-ID", "counted:1"}});
  ASSERT_EQ(replay.next_event()->type, "stream-open");
  ASSERT_EQ(replay.next_event()->id, "counted:2");
  ASSERT_EQ(replay.next_event()->id, "counted:3");
  EXPECT_EQ(publish_body(server, "{not json").status, 400);

  // The publishes' connections are closed by the client; the server counts them closed once
  // it reads the end of stream, a moment later (longer under the sanitizers).
  HttpResponse scrape;
  for (int attempt = 0; attempt < 50; ++attempt) {
    scrape = http_request(server.host(), server.port(), "GET", "/metrics");
    if (scrape.status == 200 && scrape.body.find("\neventstream_connections_open 3\n") != std::string::npos) break;
    usleep(100'000);
  }
  ASSERT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const auto& m = scrape.body;
  EXPECT_EQ(sample(m, "eventstream_events_published_total"), 3);
  EXPECT_EQ(sample(m, "eventstream_events_delivered_total"), 5); // 3 live, 2 replayed
  EXPECT_EQ(sample(m, "eventstream_events_replayed_total"), 2);
  EXPECT_EQ(sample(m, "eventstream_streams_open"), 2);
  EXPECT_EQ(sample(m, "eventstream_subscribers"), 2);
  EXPECT_EQ(sample(m, "eventstream_connections_open"), 3); // the two streams and this scrape
  EXPECT_EQ(sample(m, "eventstream_requests_refused_total"), 1);
  EXPECT_EQ(sample(m, "eventstream_publish_duration_seconds_count"), 3);
  EXPECT_EQ(sample(m, "eventstream_publish_duration_seconds_bucket{le=\"+Inf\"}"), 3);
  EXPECT_GE(sample(m, "eventstream_storage_commit_duration_seconds_count"), 1);
  EXPECT_NE(m.find("# TYPE eventstream_events_dropped_total counter"), std::string::npos);
}

TEST(Operations, ReadinessFollowsRedis) {
  RedisProcess redis;
  ServerProcess server({"--storage", "redis", "--redis", redis.url()});
  auto ready = http_request(server.host(), server.port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready\n");

  redis.stop();
  HttpResponse answer;
  for (int attempt = 0; attempt < 50; ++attempt) { // the subscriber notices within a moment
    answer = http_request(server.host(), server.port(), "GET", "/readyz");
    if (answer.status == 503) break;
    usleep(100'000);
  }
  EXPECT_EQ(answer.status, 503);
  EXPECT_NE(answer.body.find("Redis"), std::string::npos) << answer.body;
  EXPECT_EQ(http_request(server.host(), server.port(), "GET", "/healthz").status, 200); // alive all the same

  redis.start();
  for (int attempt = 0; attempt < 100; ++attempt) {
    answer = http_request(server.host(), server.port(), "GET", "/readyz");
    if (answer.status == 200) break;
    usleep(100'000);
  }
  EXPECT_EQ(answer.status, 200) << answer.body;
}

TEST(Operations, AccessLogLinesCarryTheRequestId) {
  ServerProcess server;
  auto given = http_request(server.host(), server.port(), "GET", "/healthz", {{"X-Request-Id", "trace-42.a_b"}});
  EXPECT_EQ(given.header("X-Request-Id"), "trace-42.a_b");
  auto made = http_request(server.host(), server.port(), "GET", "/nowhere", {{"X-Request-Id", "not a sane id!"}});
  EXPECT_EQ(made.status, 404);
  std::string id = made.header("X-Request-Id");
  EXPECT_EQ(id.size(), 16u) << id;

  auto log = server.stderr_text();
  EXPECT_NE(log.find("trace-42.a_b 127.0.0.1:"), std::string::npos) << log;
  EXPECT_NE(log.find("\"GET /healthz\" 200"), std::string::npos) << log;
  EXPECT_NE(log.find(id + " 127.0.0.1:"), std::string::npos) << log;
  EXPECT_NE(log.find("\"GET /nowhere\" 404"), std::string::npos) << log;
}

TEST(Operations, SighupReopensTheLogFile) {
  TempDir dir;
  std::string path = dir.path() + "/eventstream.log";
  ServerProcess server({"--log-file", path});
  http_request(server.host(), server.port(), "GET", "/healthz", {{"X-Request-Id", "before-rotation"}});
  ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0); // what logrotate does
  kill(server.pid(), SIGHUP);
  std::string fresh;
  for (int attempt = 0; attempt < 50 && fresh.find("reopened") == std::string::npos; ++attempt) {
    usleep(100'000);
    fresh = file_text(path);
  }
  http_request(server.host(), server.port(), "GET", "/healthz", {{"X-Request-Id", "after-rotation"}});
  usleep(100'000);
  fresh = file_text(path);
  auto rotated = file_text(path + ".1");
  EXPECT_NE(rotated.find("before-rotation"), std::string::npos) << rotated;
  EXPECT_EQ(rotated.find("after-rotation"), std::string::npos) << rotated;
  EXPECT_NE(fresh.find("after-rotation"), std::string::npos) << fresh;
  EXPECT_EQ(server.stderr_text().find("before-rotation"), std::string::npos);
  EXPECT_TRUE(server.running());
}

TEST(Operations, TheLogHoldsNoCredential) {
  TempDir dir;
  std::string path = dir.path() + "/eventstream.log";
  ServerProcess server({"--log-file", path, "--auth-secret", "log-test-secret"});
  auto token = es::auth::sign_hs256(R"({"sub": "alice"})", "log-test-secret");
  {
    SseClient stream(server.host(), server.port(), "/events/?channel=news&token=" + token + "&es-meta=META-SECRET");
    ASSERT_EQ(stream.next_event()->type, "stream-open");
  }
  EXPECT_EQ(http_request(server.host(), server.port(), "GET", "/nowhere?access_token=QUERY-SECRET&x=1").status, 404);
  std::string log;
  for (int attempt = 0; attempt < 50 && log.find("stream closed") == std::string::npos; ++attempt) {
    usleep(100'000);
    log = file_text(path);
  }
  EXPECT_NE(log.find("stream open "), std::string::npos) << log;
  EXPECT_NE(log.find(" /events/?channel=news&token=REDACTED&es-meta=REDACTED"), std::string::npos) << log;
  EXPECT_NE(log.find("\"GET /nowhere?access_token=REDACTED&x=1\" 404"), std::string::npos) << log;
  EXPECT_EQ(log.find(token), std::string::npos) << log;
  EXPECT_EQ(log.find("SECRET"), std::string::npos) << log;
}

TEST(Operations, NoValueForgesALogLine) {
  ServerProcess server;
  auto kick = http_request(server.host(), server.port(), "POST", "/kick/", {{"Content-Type", "application/json"}},
                           R"({"user": "mallory\n2030-01-01T00:00:00.000Z info admin logged in", "channel": "news"})");
  EXPECT_EQ(kick.status, 200) << kick.body;
  auto log = server.stderr_text();
  EXPECT_NE(log.find("kick of user 'mallory\\n2030-01-01T00:00:00.000Z info admin logged in' on channel 'news'"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("\n2030-01-01T"), std::string::npos) << log;
}

} // namespace
} // namespace es::test
