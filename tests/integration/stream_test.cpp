// Streams as a client sees them: headers, preamble, frames, routes, errors, keep-alive.
#include <gtest/gtest.h>

#include "support/publish.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

const std::string padding = ":" + std::string(2048, ' ') + "\n\n";

SseEvent expect_event(SseClient& client, std::chrono::milliseconds timeout = 5s) {
  auto event = client.next_event(timeout);
  if (!event) throw std::runtime_error("no event arrived; body so far: " + client.body().substr(0, 300));
  return *event;
}

} // namespace

TEST(Stream, DeliversTheExactFrameAfterThePreamble) {
  ServerProcess server;
  SseClient client(server.host(), server.port(), "/events/?channel=test");
  ASSERT_TRUE(client.read_head());
  EXPECT_EQ(client.status(), 200);
  EXPECT_EQ(client.header("Content-Type"), "text/event-stream");
  EXPECT_EQ(client.header("Cache-Control"), "no-cache");
  EXPECT_EQ(client.header("X-Accel-Buffering"), "no");
  EXPECT_TRUE(client.chunked());
  EXPECT_EQ(expect_event(client).type, "stream-open");
  // Then when to reconnect: --retry (3 s) plus up to as much again, different per stream.
  // (the same write as the preamble, so already read)
  std::string preamble = padding + "event: stream-open\ndata:\n\n";
  ASSERT_TRUE(client.body().starts_with(preamble + "retry: ")) << client.body();
  int retry = std::stoi(client.body().substr(preamble.size() + 7));
  EXPECT_GE(retry, 3000);
  EXPECT_LE(retry, 6000);
  EXPECT_EQ(client.body(), preamble + "retry: " + std::to_string(retry) + "\n\n");

  auto sent = run_eventstream({"send", "--url", server.base_url(), "test", "message", R"({"text":"hello world"})"});
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(sent.out, "test:1\n");

  auto event = expect_event(client);
  EXPECT_EQ(event.type, "message");
  EXPECT_EQ(event.data, R"({"text": "hello world"})");
  EXPECT_EQ(event.id, "test:1");
  EXPECT_TRUE(client.body().ends_with("event: message\nid: test:1\ndata: {\"text\": \"hello world\"}\n\n"));
}

TEST(Stream, WithoutStorageEventsHaveNoId) {
  ServerProcess server({"--storage", "none"});
  SseClient client(server.host(), server.port(), "/events/?channel=test", {{"Last-Event-ID", "test:5"}});
  ASSERT_EQ(expect_event(client).type, "stream-open");
  auto sent = run_eventstream({"send", "--url", server.base_url(), "test", "message", "1"});
  EXPECT_EQ(sent.out, "-\n");
  auto event = expect_event(client);
  EXPECT_FALSE(event.id);
  EXPECT_TRUE(client.body().ends_with("event: message\ndata: 1\n\n"));
}

TEST(Stream, EachClientGetsOnlyItsChannels) {
  ServerProcess server;
  SseClient both(server.host(), server.port(), "/events/?channel=a&channel=b");
  SseClient only_b(server.host(), server.port(), "/events/?channel=b");
  ASSERT_EQ(expect_event(both).type, "stream-open");
  ASSERT_EQ(expect_event(only_b).type, "stream-open");

  publish(server, "a", "first", "1");
  publish(server, "b", "second", "2");
  EXPECT_EQ(expect_event(both).type, "first");
  EXPECT_EQ(expect_event(both).type, "second");
  EXPECT_EQ(expect_event(only_b).type, "second");
  EXPECT_FALSE(only_b.next_event(300ms));
}

TEST(Stream, RawDataWithLineBreaksBecomesSeveralDataLines) {
  ServerProcess server;
  SseClient client(server.host(), server.port(), "/events/?channel=log");
  ASSERT_EQ(expect_event(client).type, "stream-open");
  auto sent = run_eventstream({"send", "--url", server.base_url(), "--raw", "log", "line", "-"}, "one\ntwo\n");
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(expect_event(client).data, "one\ntwo");
  EXPECT_TRUE(client.body().ends_with("event: line\nid: log:1\ndata: one\ndata: two\n\n"));
}

TEST(Stream, TwoHundredSubscribersGetEveryEventInOrder) {
  ServerProcess server;
  std::vector<std::unique_ptr<SseClient>> clients;
  for (int i = 0; i < 200; ++i) {
    clients.push_back(std::make_unique<SseClient>(server.host(), server.port(), "/events/?channel=crowd"));
    ASSERT_EQ(expect_event(*clients.back()).type, "stream-open");
  }
  constexpr int events = 100;
  std::string batch = R"({"items": [)";
  for (int n = 0; n < events; ++n)
    batch += std::string(n ? ", " : "") + R"({"channel": "crowd", "type": "tick", "data": )" + std::to_string(n) + "}";
  batch += "]}";
  // Two batches, so that in-order delivery across publish requests is checked too.
  ASSERT_EQ(publish_body(server, batch).status, 200);
  ASSERT_EQ(publish_body(server, batch).status, 200);
  for (auto& client : clients)
    for (int n = 0; n < 2 * events; ++n) ASSERT_EQ(expect_event(*client).data, std::to_string(n % events));
}

TEST(Stream, ErrorsAreOneStreamErrorEvent) {
  ServerProcess server({"--channel-limit", "3"});
  auto error_of = [&](const std::string& target, Headers headers = {}) {
    SseClient client(server.host(), server.port(), target, headers);
    EXPECT_TRUE(client.read_head());
    EXPECT_EQ(client.status(), 200);
    EXPECT_EQ(client.header("Content-Type"), "text/event-stream");
    EXPECT_TRUE(client.ended());
    return client.body();
  };
  auto error_body = [](const std::string& text) {
    return "event: stream-error\nid: error\ndata: {\"condition\": \"bad-request\", \"text\": \"" + text + "\"}\n\n";
  };
  EXPECT_EQ(error_of("/events/"), error_body("Invalid request: No channels specified."));
  EXPECT_EQ(error_of("/events/?channel="), error_body("Invalid request: No channels specified."));
  EXPECT_EQ(error_of("/events/?channel=a&channel=b&channel=c&channel=d"),
            error_body("Invalid request: Channel limit exceeded."));
  EXPECT_EQ(error_of("/events/?channel=a&channel=b&channel=c&channel=d&channel=a&channel=b").substr(0, 19),
            "event: stream-error");
  EXPECT_EQ(error_of("/events/?channel=a", {{"Last-Event-ID", "a:abc"}}),
            error_body("Invalid request: Failed to parse Last-Event-ID or lastEventId."));
  EXPECT_EQ(error_of("/events/?channel=a&lastEventId=nonsense"),
            error_body("Invalid request: Failed to parse Last-Event-ID or lastEventId."));

  // Duplicates collapse: three distinct channels are within the limit.
  SseClient fine(server.host(), server.port(), "/events/?channel=a&channel=b&channel=c&channel=a");
  EXPECT_EQ(expect_event(fine).type, "stream-open");
}

TEST(Stream, ResumingAfterAStreamErrorIsA400) {
  ServerProcess server;
  for (auto [target, headers] : {std::pair<std::string, Headers>{"/events/?channel=t", {{"Last-Event-ID", "error"}}},
                                 {"/events/?channel=t&lastEventId=error", {}}}) {
    auto res = http_request(server.host(), server.port(), "GET", target, headers);
    EXPECT_EQ(res.status, 400);
    EXPECT_EQ(res.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(res.body, "Invalid request: Can't resume session after stream-error.\n");
  }
}

TEST(Stream, RoutesPickChannelsFromPathOrQuery) {
  ServerProcess server({"--route", "/rooms/{room}/events/=room-{room}", "--route", "/fixed/events/=test",
                        "--route", "/events/{channel}/", "--route", "/events/"});
  SseClient room(server.host(), server.port(), "/rooms/42/events/?channel=ignored");
  SseClient fixed(server.host(), server.port(), "/fixed/events/");
  SseClient path(server.host(), server.port(), "/events/news/");
  SseClient query(server.host(), server.port(), "/events/?channel=news");
  for (auto* c : {&room, &fixed, &path, &query}) ASSERT_EQ(expect_event(*c).type, "stream-open");

  publish(server, "room-42", "r", "1");
  publish(server, "test", "t", "2");
  publish(server, "news", "n", "3");
  publish(server, "ignored", "i", "4");
  EXPECT_EQ(expect_event(room).type, "r");
  EXPECT_EQ(expect_event(fixed).type, "t");
  EXPECT_EQ(expect_event(path).type, "n");
  EXPECT_EQ(expect_event(query).type, "n");
  for (auto* c : {&room, &fixed, &path, &query}) EXPECT_FALSE(c->next_event(200ms));
}

TEST(Stream, UnknownPathsAndWrongMethods) {
  ServerProcess server;
  auto missing = http_request(server.host(), server.port(), "GET", "/nowhere/");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("/events/"), std::string::npos) << missing.body;

  auto del = http_request(server.host(), server.port(), "DELETE", "/events/?channel=a");
  EXPECT_EQ(del.status, 405);
  EXPECT_EQ(del.header("Allow"), "GET, HEAD, OPTIONS");

  auto get_publish = http_request(server.host(), server.port(), "GET", "/publish/");
  EXPECT_EQ(get_publish.status, 405);
  EXPECT_EQ(get_publish.header("Allow"), "POST");

  auto head = http_request(server.host(), server.port(), "HEAD", "/events/?channel=a");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Type"), "text/event-stream");

  EXPECT_EQ(http_request(server.host(), server.port(), "GET", "/healthz").body, "ok\n");
}

TEST(Stream, CorsHeadersOnStreamsErrorsAndPreflight) {
  ServerProcess server({"--allow-origin", "https://example.com", "--allow-credentials", "--allow-headers",
                        "Last-Event-ID"});
  auto check = [](auto& response) {
    EXPECT_EQ(response.header("Access-Control-Allow-Origin"), "https://example.com");
    EXPECT_EQ(response.header("Access-Control-Allow-Credentials"), "true");
    EXPECT_EQ(response.header("Access-Control-Allow-Headers"), "Last-Event-ID");
  };
  SseClient stream(server.host(), server.port(), "/events/?channel=a", {{"Origin", "https://other.org"}});
  ASSERT_TRUE(stream.read_head());
  check(stream);
  auto error = http_request(server.host(), server.port(), "GET", "/events/");
  check(error);
  auto gone = http_request(server.host(), server.port(), "GET", "/events/?channel=a", {{"Last-Event-ID", "error"}});
  check(gone);
  auto preflight = http_request(server.host(), server.port(), "OPTIONS", "/events/?channel=a",
                                {{"Origin", "https://example.com"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(preflight.status, 204);
  check(preflight);
  EXPECT_EQ(preflight.header("Access-Control-Allow-Methods"), "GET, HEAD, OPTIONS");

  ServerProcess plain;
  SseClient bare(plain.host(), plain.port(), "/events/?channel=a");
  ASSERT_TRUE(bare.read_head());
  EXPECT_FALSE(bare.has_header("Access-Control-Allow-Origin"));
}

TEST(Stream, KeepAliveWhenIdleOnly) {
  ServerProcess server({"--keep-alive", "1"});
  SseClient client(server.host(), server.port(), "/events/?channel=quiet");
  ASSERT_EQ(expect_event(client).type, "stream-open");
  auto event = expect_event(client, 3s);
  EXPECT_EQ(event.type, "keep-alive");
  EXPECT_TRUE(client.body().ends_with("event: keep-alive\ndata:\n\n"));
}

TEST(Stream, OrdinaryRequestsShareOneConnection) {
  ServerProcess server;
  auto raw = raw_exchange(server.host(), server.port(),
                          "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                          5s);
  EXPECT_EQ(raw.find("HTTP/1.1 200 OK"), 0u) << raw;
  EXPECT_NE(raw.find("HTTP/1.1 404 Not Found"), std::string::npos);
  EXPECT_NE(raw.rfind("HTTP/1.1 200 OK"), 0u);
}

TEST(Stream, Http10ClientsGetAnUnchunkedStream) {
  ServerProcess server;
  int fd = connect_tcp(server.host(), server.port());
  send_all(fd, "GET /events/?channel=old HTTP/1.0\r\n\r\n");
  std::string got;
  auto deadline = Clock::now() + 5s;
  while (got.find("stream-open") == std::string::npos && recv_some(fd, got, deadline) == RecvStatus::data) {
  }
  ::close(fd);
  EXPECT_EQ(got.find("HTTP/1.0 200 OK\r\n"), 0u) << got.substr(0, 200);
  EXPECT_EQ(got.find("Transfer-Encoding"), std::string::npos);
  EXPECT_NE(got.find("\r\n\r\n" + padding + "event: stream-open\ndata:\n\n"), std::string::npos);
}
