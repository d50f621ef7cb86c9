// `eventstream listen` against the real server.
#include <gtest/gtest.h>

#include <ctime>
#include <future>
#include <thread>

#include "auth/jwt.hpp"
#include "support/http_client.hpp"
#include "support/publish.hpp"
#include "support/pushpin_process.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

std::size_t streams_opened(const ServerProcess& server) {
  std::string log = server.stderr_text();
  std::size_t count = 0;
  for (auto at = log.find("stream open "); at != std::string::npos; at = log.find("stream open ", at + 1)) ++count;
  return count;
}

// Runs `eventstream listen ARGS` in the background and returns once `server` has its
// stream open (a fixed wait was too short under the sanitizers); its result once it exits.
std::future<CommandResult> listen(const ServerProcess& server, std::vector<std::string> args) {
  std::size_t before = streams_opened(server);
  args.insert(args.begin(), "listen");
  auto result = std::async(std::launch::async, [args] { return run_eventstream(args, "", 30s); });
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       streams_opened(server) == before && std::chrono::steady_clock::now() < deadline;)
    std::this_thread::sleep_for(20ms);
  return result;
}

} // namespace

TEST(Listen, PrintsEventsAsNdjsonAndStopsAtCount) {
  ServerProcess server;
  auto result = listen(server, {"--url", server.base_url(), "test", "news", "--count", "2", "--timeout", "10"});
  publish(server, "test", "message", R"({"text": "hi"})");
  ASSERT_EQ(publish_body(server, R"({"channel": "news", "type": "note", "data": "plain", "raw": true})").status, 200);
  auto done = result.get();
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(done.out, "{\"type\": \"message\", \"id\": \"test:1,news:0\", \"data\": {\"text\": \"hi\"}}\n"
                      "{\"type\": \"note\", \"id\": \"test:1,news:1\", \"data\": \"plain\"}\n");
}

TEST(Listen, ResumesAfterTheServerRestarts) {
  TempDir dir;
  int port = free_port();
  const std::string addr = "127.0.0.1:" + std::to_string(port), db = dir.path() + "/events.db";
  auto server = std::make_unique<ServerProcess>(std::vector<std::string>{"--db", db}, addr);
  auto result = listen(*server, {"--url", server->base_url(), "test", "--count", "3", "--timeout", "20"});
  publish(*server, "test", "message", "1");
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(server->stop(), 0);
  server = std::make_unique<ServerProcess>(std::vector<std::string>{"--db", db}, addr);
  publish(*server, "test", "message", "2");
  publish(*server, "test", "message", "3");
  auto done = result.get();
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(done.out, "{\"type\": \"message\", \"id\": \"test:1\", \"data\": 1}\n"
                      "{\"type\": \"message\", \"id\": \"test:2\", \"data\": 2}\n"
                      "{\"type\": \"message\", \"id\": \"test:3\", \"data\": 3}\n");
  EXPECT_NE(done.err.find("reconnecting from test:1"), std::string::npos) << done.err;
}

TEST(Listen, StreamErrorsTokensAndTimeouts) {
  const std::string secret = "s3cret";
  ServerProcess server({"--auth-secret", secret, "--private", "_*"});
  auto refused = run_eventstream({"listen", "--url", server.base_url(), "_alice", "--timeout", "5"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err, "eventstream listen: the server ended the stream: Permission denied to channels: _alice\n");

  auto alice = es::auth::sign_hs256(R"({"sub": "alice", "exp": )" + std::to_string(std::time(nullptr) + 600) + "}", secret);
  auto result = listen(server, {"--url", server.base_url(), "_alice", "--token", alice, "--count", "1", "--timeout", "10",
                        "--format", "text"});
  publish(server, "_alice", "message", R"({"for": "alice"})");
  auto done = result.get();
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_NE(done.out.find("  message  id _alice:1\n  {\"for\": \"alice\"}\n"), std::string::npos) << done.out;

  auto waited = run_eventstream({"listen", "--url", server.base_url(), "quiet", "--count", "1", "--timeout", "0.5"});
  EXPECT_EQ(waited.exit_code, 1);
  EXPECT_EQ(waited.err, "eventstream listen: 0 of 1 events within 0.5 s\n");
  auto enough = run_eventstream({"listen", "--url", server.base_url(), "quiet", "--timeout", "0.5"});
  EXPECT_EQ(enough.exit_code, 0) << enough.err;

  auto missing = run_eventstream({"listen", server.base_url() + "/nowhere/", "--timeout", "5"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("answered 404"), std::string::npos) << missing.err;
}

TEST(Listen, ARefusedConnectionWaitsItsRetryAfterAndComesBack) {
  ServerProcess server({"--max-connections-per-address", "1", "--retry", "1000"});
  // This address's one connection, held by someone else.
  int held = connect_tcp(server.host(), server.port());
  send_all(held, "GET /events/?channel=busy HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string head;
  while (!find_head_end(head) && recv_some(held, head, Clock::now() + 5s) == RecvStatus::data) {
  }
  ASSERT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;

  auto result = std::async(std::launch::async, [&] {
    return run_eventstream({"listen", "--url", server.base_url(), "busy", "--count", "1", "--timeout", "20"}, "", 30s);
  });
  for (auto deadline = Clock::now() + 10s;
       server.stderr_text().find("refusing connections with 429") == std::string::npos && Clock::now() < deadline;)
    std::this_thread::sleep_for(20ms);
  ::close(held);
  for (auto deadline = Clock::now() + 10s; streams_opened(server) < 2 && Clock::now() < deadline;)
    std::this_thread::sleep_for(20ms);

  // Published from another address: this one's connection is the listener's.
  int publisher = connect_tcp(server.host(), server.port(), 0, "127.0.0.2");
  const std::string body = R"({"channel": "busy", "type": "message", "data": 1})";
  send_all(publisher, "POST /publish/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  std::string answer;
  while (recv_some(publisher, answer, Clock::now() + 5s) == RecvStatus::data) {
  }
  ::close(publisher);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;

  auto done = result.get();
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(done.out, "{\"type\": \"message\", \"id\": \"busy:1\", \"data\": 1}\n");
  EXPECT_NE(done.err.find("it answered 429 (Retry-After: "), std::string::npos) << done.err;
}
