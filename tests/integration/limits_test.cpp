// Each limit of SECURITY.md hit through the real binary: the client over it gets a clear
// error, and the server keeps serving everyone else.
#include <sys/resource.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/publish.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"

namespace es::test {
namespace {

// The server still answers a plain request: what "keeps serving others" means here.
void expect_serving(const ServerProcess& server) {
  auto health = http_request(server.host(), server.port(), "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
}

TEST(Limits, ConnectionsOverTheLimitGet503WithRetryAfter) {
  ServerProcess server({"--max-connections", "3"});
  std::vector<std::unique_ptr<SseClient>> streams;
  for (int i = 0; i < 3; ++i) {
    streams.push_back(std::make_unique<SseClient>(server.host(), server.port(), "/events/?channel=full"));
    ASSERT_EQ(streams.back()->next_event()->type, "stream-open");
  }

  auto refused = http_request(server.host(), server.port(), "GET", "/events/?channel=full");
  EXPECT_EQ(refused.status, 503);
  int retry_after = std::stoi(refused.header("Retry-After"));
  EXPECT_GE(retry_after, 3); // --retry 3 s, plus up to as much again
  EXPECT_LE(retry_after, 6);
  EXPECT_NE(refused.body.find("--max-connections 3"), std::string::npos) << refused.body;

  // A freed slot is served again, and the streams still open were not disturbed. The
  // server notices a closed connection asynchronously: the publish may take a few tries.
  streams.pop_back();
  int status = 0;
  for (int attempt = 0; attempt < 50 && status != 200; ++attempt) {
    status = publish_body(server, R"({"channel": "full", "type": "message", "data": 1})").status;
    if (status != 200) usleep(100'000);
  }
  EXPECT_EQ(status, 200);
  for (auto& stream : streams) EXPECT_EQ(stream->next_event()->type, "message");
  EXPECT_NE(server.stderr_text().find("refusing connections with 503"), std::string::npos);
}

// A connection from `source` asking for a stream, and the head of the server's answer.
std::pair<int, std::string> stream_from(const ServerProcess& server, const std::string& source) {
  int fd = connect_tcp(server.host(), server.port(), 0, source);
  send_all(fd, "GET /events/?channel=crowd HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!find_head_end(got) && recv_some(fd, got, deadline) == RecvStatus::data) {
  }
  return {fd, got};
}

int status_of(const std::string& answer) {
  auto end = find_head_end(answer);
  return end ? parse_response_head(answer.substr(0, *end)).status : 0;
}

TEST(Limits, OneAddressOverItsConnectionsGets429WhileOthersAreServed) {
  ServerProcess server({"--max-connections-per-address", "2"});
  std::vector<int> held;
  for (int i = 0; i < 2; ++i) {
    auto [fd, answer] = stream_from(server, "127.0.0.2");
    held.push_back(fd);
    ASSERT_EQ(status_of(answer), 200) << answer;
  }

  auto [over, answer] = stream_from(server, "127.0.0.2");
  while (recv_some(over, answer, Clock::now() + std::chrono::seconds(5)) == RecvStatus::data) {
  }
  ::close(over);
  EXPECT_EQ(status_of(answer), 429) << answer;
  EXPECT_NE(answer.find("Retry-After: "), std::string::npos) << answer;
  EXPECT_NE(answer.find("(--max-connections-per-address 2)"), std::string::npos) << answer;

  // Another address is served, and the first one is again once it closes a connection.
  SseClient other(server.host(), server.port(), "/events/?channel=crowd");
  EXPECT_EQ(other.next_event()->type, "stream-open");
  ::close(held.back());
  held.pop_back();
  int status = 0;
  for (int attempt = 0; attempt < 50 && status != 200; ++attempt) { // once the server notices the close
    auto [fd, again] = stream_from(server, "127.0.0.2");
    held.push_back(fd);
    status = status_of(again);
    if (status != 200) usleep(100'000);
  }
  EXPECT_EQ(status, 200);
  for (int fd : held) ::close(fd);

  auto metrics = http_request(server.host(), server.port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("\neventstream_connections_refused_per_address_total "), std::string::npos);
  EXPECT_EQ(metrics.find("\neventstream_connections_refused_per_address_total 0\n"), std::string::npos);
  EXPECT_NE(server.stderr_text().find("127.0.0.2 holds 2 (--max-connections-per-address)"), std::string::npos);

  // A connection still open at exit is counted off its address as the server goes down.
  int idle = connect_tcp(server.host(), server.port(), 0, "127.0.0.3");
  EXPECT_EQ(server.stop(), 0);
  ::close(idle);
}

TEST(Limits, OversizedRequestHeadsAreRefused) {
  ServerProcess server({"--max-header-bytes", "2048", "--max-headers", "10", "--max-request-line", "200"});

  auto big = http_request(server.host(), server.port(), "GET", "/healthz", {{"Cookie", std::string(3000, 'c')}});
  EXPECT_EQ(big.status, 431);
  EXPECT_NE(big.body.find("--max-header-bytes of 2048"), std::string::npos) << big.body;

  Headers many;
  for (int i = 0; i < 12; ++i) many.emplace_back("X-Extra-" + std::to_string(i), "1");
  auto counted = http_request(server.host(), server.port(), "GET", "/healthz", many);
  EXPECT_EQ(counted.status, 431);
  EXPECT_NE(counted.body.find("--max-headers"), std::string::npos) << counted.body;

  auto long_line = http_request(server.host(), server.port(), "GET", "/events/?channel=" + std::string(300, 'x'));
  EXPECT_EQ(long_line.status, 414);
  EXPECT_NE(long_line.body.find("--max-request-line"), std::string::npos) << long_line.body;

  expect_serving(server);
}

TEST(Limits, ASlowRequestHeadIsCutOffWhileOthersAreServed) {
  ServerProcess server({"--header-timeout", "1"});
  int slow = connect_tcp(server.host(), server.port());
  send_all(slow, "GET /events/?channel=slow HTTP/1.1\r\nHost: x\r\n"); // and never the end of the head
  expect_serving(server);

  std::string got;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  RecvStatus status = RecvStatus::data;
  while (Clock::now() < deadline && (status = recv_some(slow, got, deadline)) == RecvStatus::data) {
  }
  EXPECT_EQ(status, RecvStatus::eof) << "the server should have closed a connection whose head never ended";
  EXPECT_EQ(got, "");
  close(slow);
}

TEST(Limits, ABatchOverTheLimitIsRefusedWhole) {
  ServerProcess server({"--max-batch", "2"});
  auto refused = publish_body(server, numbered_batch("batch", 1, 3));
  EXPECT_EQ(refused.status, 413);
  EXPECT_NE(refused.body.find("--max-batch"), std::string::npos) << refused.body;
  EXPECT_EQ(publish_body(server, numbered_batch("batch", 1, 2)).status, 200);

  // Only the accepted batch was stored.
  SseClient replay(server.host(), server.port(), "/events/?channel=batch", {{"Last-Event-ID", "batch:0"}});
  ASSERT_EQ(replay.next_event()->type, "stream-open");
  EXPECT_EQ(replay.next_event()->id, "batch:1");
  EXPECT_EQ(replay.next_event()->id, "batch:2");
  EXPECT_FALSE(replay.next_event(std::chrono::milliseconds(300)));
}

TEST(Limits, ChannelNamesWithControlCharactersOrTooLongAreRefused) {
  ServerProcess server({"--max-channel-length", "16"});
  auto injected = publish_body(server, R"({"channel": "a\r\nX-Injected: 1", "type": "m", "data": 1})");
  EXPECT_EQ(injected.status, 400);
  EXPECT_NE(injected.body.find("control character 0x0d"), std::string::npos) << injected.body;
  auto long_name = publish_body(server, R"({"channel": "seventeen-chars-xx", "type": "m", "data": 1})");
  EXPECT_EQ(long_name.status, 400);
  EXPECT_NE(long_name.body.find("--max-channel-length"), std::string::npos) << long_name.body;

  // A stream asking for such a channel gets a bad-request stream error, and no header
  // of the answer carries what the client put in the name.
  SseClient stream(server.host(), server.port(), "/events/?channel=a%0D%0AX-Injected:%201");
  auto error = stream.next_event();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "stream-error");
  EXPECT_NE(error->data.find("bad-request"), std::string::npos) << error->data;
  EXPECT_FALSE(stream.has_header("X-Injected"));

  auto kick = http_request(server.host(), server.port(), "POST", "/kick/", {{"Content-Type", "application/json"}},
                           R"({"user": "alice", "channel": "a\nb"})");
  EXPECT_EQ(kick.status, 400);
  expect_serving(server);
}

// Out of descriptors, the listener retries accept every 100 ms: one line says so, not ten a second.
TEST(Limits, RunningOutOfFileDescriptorsIsLoggedOnceAMinute) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizers need descriptors of their own: UBSan's vptr check opens a pipe to see
  // whether memory is readable, and reports any object as invalid when it cannot.
  GTEST_SKIP() << "a server out of file descriptors cannot run under the sanitizers";
#endif
  // More I/O threads than connections before the limit: each accepted connection goes to
  // a thread that has served none yet.
  ServerProcess server({"--threads", "8"});
  rlimit files{};
  ASSERT_EQ(::prlimit(server.pid(), RLIMIT_NOFILE, nullptr, &files), 0);
  rlimit tight = files;
  tight.rlim_cur = server.open_files() + 2;
  ASSERT_EQ(::prlimit(server.pid(), RLIMIT_NOFILE, &tight, nullptr), 0);
  std::vector<int> clients;
  for (int i = 0; i < 10; ++i) clients.push_back(connect_tcp(server.host(), server.port()));
  usleep(1'500'000);
  ASSERT_EQ(::prlimit(server.pid(), RLIMIT_NOFILE, &files, nullptr), 0);
  for (int fd : clients) ::close(fd);

  auto log = server.stderr_text();
  std::size_t lines = 0;
  for (auto at = log.find("accept failed"); at != std::string::npos; at = log.find("accept failed", at + 1)) ++lines;
  EXPECT_EQ(lines, 1u) << log;
  EXPECT_NE(log.find("more of these this minute are not logged"), std::string::npos) << log;
  expect_serving(server);
}

// 60,000 channels cost 7.3 s of an I/O thread (each compared with every other) before the
// answer; collecting stops past the limit now.
TEST(Limits, AHugeChannelListIsRefusedAtOnce) {
  ServerProcess server({"--channel-limit", "1000", "--max-request-line", "1048576", "--max-header-bytes", "1048576"});
  std::string target = "/events/?";
  for (int i = 0; i < 60000; ++i) target += "channel=" + std::to_string(i) + "&";
  SseClient stream(server.host(), server.port(), target);
  auto error = stream.next_event();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "stream-error");
  EXPECT_NE(error->data.find("Channel limit exceeded"), std::string::npos) << error->data;

  std::string within = "/events/?";
  for (int i = 0; i < 60000; ++i) within += "channel=" + std::to_string(i % 1000) + "&";
  SseClient open(server.host(), server.port(), within);
  EXPECT_EQ(open.next_event()->type, "stream-open");
  expect_serving(server);
}

TEST(Limits, CredentialedCorsNeverAllowsEveryOrigin) {
  auto run = run_eventstream({"serve", "127.0.0.1:0", "--allow-origin", "*", "--allow-credentials"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("name the one origin allowed"), std::string::npos) << run.err;
}

TEST(Limits, CredentialedCorsNeverAllowsTheNullOrigin) {
  // Every sandboxed iframe, file:// page and data: URL sends "Origin: null".
  for (std::string origin : {"null", "NULL", " Null "}) {
    auto run = run_eventstream({"serve", "127.0.0.1:0", "--allow-origin", origin, "--allow-credentials"});
    EXPECT_EQ(run.exit_code, 2) << origin; // a usage error
    EXPECT_NE(run.err.find("--allow-origin null would let any page read streams"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("name the one origin allowed"), std::string::npos) << run.err;
  }
}

} // namespace
} // namespace es::test
