// GRIP publishers talking to eventstream as if it were Pushpin (docs/protocol.md §19):
// django-eventstream's send_event() and channel_permission_changed() with GRIP_URL set
// (their bytes as captured from 4.5.1 in /work/shared/reference/16-grip-publish.txt),
// the forms of credentials GRIP_URL produces, and what Pushpin would answer.
#include <gtest/gtest.h>

#include <atomic>
#include <ctime>

#include "auth/jwt.hpp"
#include "support/publish.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"
#include "support/webhook_server.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

const std::string key = "publish-key";

// What GRIP_URL=http://HOST?iss=ISS&key=KEY makes pubcontrol send.
std::string control_token(const std::string& secret, long lifetime = 3600) {
  return es::auth::sign_hs256(R"({"iss": "django", "exp": )" + std::to_string(std::time(nullptr) + lifetime) + "}",
                              secret);
}

std::string user_token(const std::string& user) {
  return es::auth::sign_hs256(R"({"sub": ")" + user + R"(", "exp": )" + std::to_string(std::time(nullptr) + 600) + "}",
                              "user-secret");
}

// send_event('room/1 ünï', 'message', {"pct": "50% done"}) as 4.5.1 publishes it, event `id`.
std::string django_send_event(int id) {
  return R"({"items": [{"id": ")" + std::to_string(id) + R"(", "prev-id": ")" + std::to_string(id - 1) +
         R"(", "http-stream": {"content-filters": ["build-id"], "content": "event: message\nid: %I\ndata: {\"pct\": \")" +
         std::to_string(id) + R"(0%% done\"}\n\n"}, "channel": "events-room/1%20%C3%BCn%C3%AF"}]})";
}

const std::string channel_query = "/events/?channel=room%2F1%20%C3%BCn%C3%AF";
const std::string channel_id = "room/1%20%C3%BCn%C3%AF";

} // namespace

TEST(GripPublish, SendEventOfDjangoEventstreamIsStoredNumberedAndResumable) {
  ServerProcess server({"--publish-key", key});
  SseClient client(server.host(), server.port(), channel_query);
  ASSERT_EQ(client.next_event()->type, "stream-open");

  auto res = publish_body(server, django_send_event(7), {{"Authorization", "Bearer " + control_token(key)}});
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, "Published\n"); // what Pushpin answers
  auto event = client.next_event();
  ASSERT_TRUE(event) << client.body();
  EXPECT_EQ(event->type, "message");
  EXPECT_EQ(event->data, R"({"pct": "70% done"})");
  EXPECT_EQ(event->id, channel_id + ":1"); // eventstream's numbering, not the publisher's 7

  res = publish_body(server, django_send_event(8),
                     {{"Authorization", "Bearer " + control_token(key)}, {"Accept", "application/json"}});
  EXPECT_EQ(res.body, "{\"message\": \"Published\"}\n");
  EXPECT_EQ(client.next_event()->id, channel_id + ":2");

  SseClient resumed(server.host(), server.port(), channel_query, {{"Last-Event-ID", channel_id + ":1"}});
  auto replayed = resumed.events_until([](const SseEvent& e) { return e.data.find("80%") != std::string::npos; }, 5s);
  ASSERT_FALSE(replayed.empty()) << resumed.body();
  EXPECT_EQ(replayed.back().id, channel_id + ":2");
}

TEST(GripPublish, EveryCredentialGripUrlProduces) {
  ServerProcess server({"--publish-key", key});
  ServerProcess binary_key({"--publish-key", "base64:" + std::string("AAEC/w==")});
  auto basic = [](const std::string& password) {
    // base64("django:" + password), computed for the two passwords used below.
    return password == key ? "Basic ZGphbmdvOnB1Ymxpc2gta2V5" : "Basic ZGphbmdvOndyb25n";
  };
  const std::string body = R"({"items": [{"channel": "a", "formats": {"http-stream": {"content": "data: 1\n\n"}}}]})";
  EXPECT_EQ(publish_body(server, body, {{"Authorization", "Bearer " + key}}).status, 200);       // ?key=KEY
  EXPECT_EQ(publish_body(server, body, {{"Authorization", basic(key)}}).status, 200);            // Basic
  EXPECT_EQ(publish_body(server, body, {{"Authorization", "Bearer " + control_token(key)}}).status, 200); // ?iss=&key=
  EXPECT_EQ(publish_body(binary_key, body, {{"Authorization", "Bearer " + control_token(std::string("\0\1\2\xff", 4))}})
                .status,
            200); // key=base64:...

  auto wrong = publish_body(server, body, {{"Authorization", basic("wrong")}});
  EXPECT_EQ(wrong.status, 403);
  EXPECT_NE(wrong.body.find("the publish key is wrong"), std::string::npos) << wrong.body;
  auto forged = publish_body(server, body, {{"Authorization", "Bearer " + control_token("not-the-key")}});
  EXPECT_EQ(forged.status, 403);
  EXPECT_NE(forged.body.find("the token's signature is wrong"), std::string::npos) << forged.body;
  auto expired = publish_body(server, body, {{"Authorization", "Bearer " + control_token(key, -10)}});
  EXPECT_EQ(expired.status, 403);
  EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
  EXPECT_EQ(publish_body(server, body).status, 401);
}

TEST(GripPublish, KeysThatWouldLetAnyonePublishAreRefusedAtStart) {
  auto empty = run_eventstream({"serve", "127.0.0.1:0", "--publish-key", "base64:"});
  EXPECT_EQ(empty.exit_code, 2) << empty.err;
  EXPECT_NE(empty.err.find("--publish-key: the key after 'base64:' is empty"), std::string::npos) << empty.err;
  auto shared = run_eventstream({"serve", "127.0.0.1:0", "--publish-key", "s", "--auth-secret", "s"});
  EXPECT_EQ(shared.exit_code, 2) << shared.err;
  EXPECT_NE(shared.err.find("--publish-key and --auth-secret are the same"), std::string::npos) << shared.err;
}

TEST(GripPublish, FormatsEventstreamDoesNotServeAreRefusedByName) {
  ServerProcess server;
  SseClient client(server.host(), server.port(), "/events/?channel=a");
  ASSERT_EQ(client.next_event()->type, "stream-open");
  auto res = publish_body(server, R"({"items": [{"channel": "a", "http-stream": {"content": "data: 1\n\n"}},)"
                                  R"( {"channel": "a", "formats": {"ws-message": {"content": "x"}}}]})");
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.body.find("items[1]: has only the format(s) ws-message, which eventstream does not serve"),
            std::string::npos)
      << res.body;
  // All or nothing: the first item was not published either.
  publish(server, "a", "message", "2");
  EXPECT_EQ(client.next_event()->data, "2");
}

TEST(GripPublish, SkipUsersInMetaAreSkipped) {
  ServerProcess server({"--auth-secret", "user-secret"});
  SseClient alice(server.host(), server.port(), "/events/?channel=news", {{"Authorization", "Bearer " + user_token("7")}});
  SseClient bob(server.host(), server.port(), "/events/?channel=news", {{"Authorization", "Bearer " + user_token("8")}});
  for (auto* c : {&alice, &bob}) ASSERT_EQ(c->next_event()->type, "stream-open");
  auto res = publish_body(server, R"({"items": [{"meta": {"skip_users": "7,9"}, "http-stream": {"content-filters": [], )"
                                  R"("content": "event: message\ndata: \"x 5%\"\n\n"}, "channel": "events-news"}]})");
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(bob.next_event()->data, "\"x 5%\"");
  publish(server, "news", "message", "2");
  EXPECT_EQ(alice.next_event()->data, "2"); // the first never reached alice
}

// channel_permission_changed(user, 'test') with GRIP_URL set: 4.5.1's two items.
TEST(GripPublish, ChannelPermissionChangedEndsTheUsersStreamsOnThatChannel) {
  std::atomic<bool> allowed{true};
  WebhookServer app([&](const std::string& user, const std::string& channel) {
    return user == "7" && channel == "test" && !allowed ? 403 : 200;
  });
  ServerProcess server({"--auth-secret", "user-secret", "--auth-url", app.url()});
  Headers user7{{"Authorization", "Bearer " + user_token("7")}};
  SseClient on_test(server.host(), server.port(), "/events/?channel=test", user7);
  SseClient elsewhere(server.host(), server.port(), "/events/?channel=other", user7);
  for (auto* c : {&on_test, &elsewhere}) ASSERT_EQ(c->next_event()->type, "stream-open");

  allowed = false;
  auto res = publish_body(
      server,
      R"({"items": [{"id": "kick-1", "meta": {"require_sub": "events-test"}, "http-stream": {"content": "event: stream-error\nid: error\ndata: {'condition': 'forbidden', 'text': 'Permission denied to channels: test', 'channels': ['test']}\n\n"}, "channel": "user-7"},)"
      R"( {"id": "kick-2", "prev-id": "kick-1", "meta": {"require_sub": "events-test"}, "http-stream": {"action": "close"}, "channel": "user-7"}]})");
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, "Published\n");
  auto error = on_test.next_event();
  ASSERT_TRUE(error) << on_test.body();
  EXPECT_EQ(error->type, "stream-error");
  EXPECT_EQ(error->data, R"({"condition": "forbidden", "text": "Permission denied to channels: test", "channels": ["test"]})");
  EXPECT_TRUE(on_test.ended());
  EXPECT_FALSE(elsewhere.ended(200ms));
  publish(server, "other", "message", "1");
  EXPECT_EQ(elsewhere.next_event()->data, "1");
  // Nothing was published to the user's own channel.
  SseClient user_channel(server.host(), server.port(), "/events/?channel=user-7", {{"Last-Event-ID", "user-7:0"}});
  EXPECT_EQ(user_channel.next_event()->type, "stream-open");
  EXPECT_FALSE(user_channel.next_event(300ms));
}

// Without --auth-url the publisher's close is the decision, as it is for Pushpin: the
// token rules alone cannot know the application took the channel away.
TEST(GripPublish, WithoutAWebhookTheCloseItemDecides) {
  ServerProcess server({"--auth-secret", "user-secret"});
  SseClient user7(server.host(), server.port(), "/events/?channel=test", {{"Authorization", "Bearer " + user_token("7")}});
  SseClient user8(server.host(), server.port(), "/events/?channel=test", {{"Authorization", "Bearer " + user_token("8")}});
  for (auto* c : {&user7, &user8}) ASSERT_EQ(c->next_event()->type, "stream-open");
  auto res = publish_body(server, R"({"items": [{"meta": {"require_sub": "events-test"}, "http-stream": {"action": "close"}, "channel": "user-7"}]})");
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(user7.next_event()->type, "stream-error");
  EXPECT_TRUE(user7.ended());
  EXPECT_FALSE(user8.ended(200ms));
}

// GRIP_URL in serve's environment naming the server itself would publish every event to
// itself again, and again.
TEST(GripPublish, ItemsFromAnEventstreamPublisherAreNotPublishedAgain) {
  ServerProcess target;
  ServerProcess source({"--grip-url", target.base_url(), "--reliable", "none"});
  SseClient client(target.host(), target.port(), "/events/?channel=loop");
  ASSERT_EQ(client.next_event()->type, "stream-open");
  publish(source, "loop", "message", "1");
  EXPECT_FALSE(client.next_event(500ms));
  auto refused = publish_body(target, R"({"items": [{"channel": "loop", "http-stream": {"content": "data: 1\n\n"}}]})",
                              {{"User-Agent", "eventstream/0.1.0"}});
  EXPECT_EQ(refused.status, 508);
  EXPECT_NE(refused.body.find("point --grip-url at the GRIP proxy"), std::string::npos) << refused.body;
}
