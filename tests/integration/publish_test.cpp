// POST /publish/: who may publish, and what is refused with which message.
#include <gtest/gtest.h>

#include "support/publish.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

TEST(Publish, AnswersIdsForEveryItem) {
  ServerProcess server;
  auto res = publish_body(server, R"({"items": [{"channel": "a", "data": 1}, {"channel": "b", "data": 2}]})");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.header("Content-Type"), "application/json");
  EXPECT_EQ(res.body, "{\"ids\": [\"a:1\", \"b:1\"]}\n");

  ServerProcess live({"--storage", "none"});
  EXPECT_EQ(publish_body(live, R"({"channel": "a", "data": 1})").body, "{\"ids\": [null]}\n");
}

TEST(Publish, WithoutAKeyLoopbackMayPublish) {
  ServerProcess server;
  EXPECT_EQ(publish_body(server, R"({"channel": "a", "data": 1})").status, 200);

  // But not a web page in a browser on this machine: a cross-site POST carries Origin.
  auto from_page = publish_body(server, R"({"channel": "a", "data": 1})", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(from_page.status, 403);
  EXPECT_NE(from_page.body.find("not web pages (this request has an Origin header)"), std::string::npos);
}

TEST(Publish, WithAKeyTheBearerTokenIsRequired) {
  ServerProcess server({"--publish-key", "s3cret"});
  const std::string body = R"({"channel": "a", "data": 1})";

  auto none = publish_body(server, body);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer");
  EXPECT_NE(none.body.find("Authorization: Bearer"), std::string::npos) << none.body;

  auto wrong = publish_body(server, body, {{"Authorization", "Bearer nope"}});
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(wrong.body, "{\"error\": \"the publish key is wrong\"}\n");
  EXPECT_EQ(publish_body(server, body, {{"Authorization", "Basic s3cret"}}).status, 403);

  EXPECT_EQ(publish_body(server, body, {{"Authorization", "Bearer s3cret"}}).status, 200);

  auto cli = run_eventstream({"send", "--url", server.base_url(), "--key", "s3cret", "a", "t", "1"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  auto from_env = run_eventstream({"send", "--url", server.base_url(), "a", "t", "1"}, "", 20s,
                                  {{"EVENTSTREAM_PUBLISH_KEY", "s3cret"}});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
  auto refused = run_eventstream({"send", "--url", server.base_url(), "a", "t", "1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("401"), std::string::npos) << refused.err;
}

TEST(Publish, MalformedBodiesAreRefusedAndNothingIsDelivered) {
  ServerProcess server;
  SseClient client(server.host(), server.port(), "/events/?channel=a");
  ASSERT_EQ(client.next_event()->type, "stream-open");

  auto not_json = publish_body(server, "{\"channel\": \"a\", ");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_NE(not_json.body.find("not valid JSON"), std::string::npos) << not_json.body;

  auto bad_type = publish_body(server, R"({"channel": "a", "type": "x\ny", "data": 1})");
  EXPECT_EQ(bad_type.status, 400);
  EXPECT_NE(bad_type.body.find("type: has the control character 0x0a"), std::string::npos) << bad_type.body;

  // One bad item refuses the whole batch: nothing of it is published.
  auto bad_item = publish_body(server, R"({"items": [{"channel": "a", "data": 1}, {"channel": 5, "data": 2}]})");
  EXPECT_EQ(bad_item.status, 400);
  EXPECT_NE(bad_item.body.find("items[1].channel"), std::string::npos) << bad_item.body;

  EXPECT_FALSE(client.next_event(300ms));
}

TEST(Publish, OversizedBodiesGet413) {
  ServerProcess server({"--max-body", "1000"});
  std::string big = R"({"channel": "a", "data": ")" + std::string(2000, 'x') + "\"}";
  auto res = publish_body(server, big);
  EXPECT_EQ(res.status, 413);
  EXPECT_NE(res.body.find("--max-body"), std::string::npos) << res.body;
  EXPECT_EQ(publish_body(server, R"({"channel": "a", "data": "small"})").status, 200);
}

TEST(Publish, MalformedHttpIsA400) {
  ServerProcess server;
  auto raw = raw_exchange(server.host(), server.port(), "BLAH\r\n\r\n", 3s);
  EXPECT_EQ(raw.find("HTTP/1.1 400 Bad Request"), 0u) << raw;
  EXPECT_NE(raw.find("malformed HTTP request"), std::string::npos) << raw;
}

TEST(Publish, DeeplyNestedDataIsRefused) {
  ServerProcess server;
  std::string deep = R"({"channel": "a", "data": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto res = publish_body(server, deep);
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.body, "{\"error\": \"body: nested deeper than 256 levels at byte 280\"}\n");
  EXPECT_TRUE(server.running());
}

namespace {

HttpResponse kick_body(const ServerProcess& server, const std::string& body) {
  return http_request(server.host(), server.port(), "POST", "/kick/", {{"Content-Type", "application/json"}}, body);
}

} // namespace

// A million `[` segfaulted the server: /kick/ parsed with RapidJSON's recursive parser.
TEST(Publish, KickReadsJsonLikePublish) {
  ServerProcess server;
  auto deep = kick_body(server, std::string(1000000, '['));
  EXPECT_EQ(deep.status, 400);
  EXPECT_EQ(deep.body, "{\"error\": \"body: nested deeper than 256 levels at byte 256\"}\n");
  auto deep_field = kick_body(server, R"({"user": "a", "channel": "b", "x": )" + std::string(500000, '[') + "}");
  EXPECT_EQ(deep_field.status, 400);

  auto not_json = kick_body(server, R"({"user": "alice",)");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(not_json.body, "{\"error\": \"body: not valid JSON (Missing a name for object member. at byte 17)\"}\n");
  EXPECT_EQ(kick_body(server, R"(["alice", "room"])").body,
            R"({"error": "body: must be a JSON object: {\"user\": \"ID\", \"channel\": \"NAME\"}"})" "\n");
  EXPECT_NE(kick_body(server, R"({"user": "alice"})").body.find("channel: is required"), std::string::npos);
  EXPECT_NE(kick_body(server, R"({"user": 7, "channel": "room"})").body.find("user: must be a non-empty string"),
            std::string::npos);

  auto fine = kick_body(server, R"({"user": "alice", "channel": "room"})");
  EXPECT_EQ(fine.status, 200);
  EXPECT_EQ(fine.body, "{\"ended\": 0}\n");
  EXPECT_EQ(publish_body(server, R"({"channel": "a", "data": 1})").status, 200);
}

// ReconnectingEventSource-style clients treat stream-error as final: a publisher must
// not be able to send one, nor a payload in place of a name.
TEST(Publish, EventTypesAreNames) {
  ServerProcess server;
  SseClient client(server.host(), server.port(), "/events/?channel=a");
  ASSERT_EQ(client.next_event()->type, "stream-open");
  for (const char* reserved : {"stream-open", "stream-error", "stream-reset", "keep-alive"}) {
    auto res = publish_body(server, R"({"channel": "a", "type": ")" + std::string(reserved) + R"(", "data": 1})");
    EXPECT_EQ(res.status, 400);
    EXPECT_NE(res.body.find("type: '" + std::string(reserved) + "' is reserved: the server itself sends stream-open, "
                            "stream-error, stream-reset and keep-alive"),
              std::string::npos)
        << res.body;
  }
  for (const char* control : {"\\u0000", "\\u000b", "\\f", "\\u007f"}) {
    auto res = publish_body(server, R"({"channel": "a", "type": "x)" + std::string(control) + R"(", "data": 1})");
    EXPECT_EQ(res.status, 400);
    EXPECT_NE(res.body.find("type: has the control character 0x"), std::string::npos) << res.body;
  }
  auto huge = publish_body(server, R"({"channel": "a", "type": ")" + std::string(100000, 't') + R"(", "data": 1})");
  EXPECT_EQ(huge.status, 400);
  EXPECT_NE(huge.body.find("type: is 100000 bytes long; the most is 256"), std::string::npos) << huge.body;
  EXPECT_FALSE(client.next_event(300ms));

  EXPECT_EQ(publish_body(server, R"({"channel": "a", "type": "stream-errors", "data": 1})").status, 200);
  EXPECT_EQ(client.next_event()->type, "stream-errors");
}
