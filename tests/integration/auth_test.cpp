// Who may read what (docs/protocol.md §7): user tokens, private channels, claims, skip_users, expiry.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>

#include "auth/jwt.hpp"
#include "support/publish.hpp"
#include "support/sse_client.hpp"
#include "support/temp_dir.hpp"
#include "support/webhook_server.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

const std::string secret = "test-secret";

std::string token_for(const std::string& user, const std::string& extra = "") {
  auto exp = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() + 3600;
  return es::auth::sign_hs256(R"({"sub": ")" + user + R"(", "exp": )" + std::to_string(exp) + extra + "}", secret);
}

// The body of a refused stream (one stream-error event), or "" when the stream opened.
std::string refusal(const ServerProcess& server, const std::string& target, Headers headers = {}) {
  SseClient client(server.host(), server.port(), target, headers);
  auto first = client.next_event();
  if (!first) return "no answer";
  if (first->type == "stream-open") return "";
  return first->data;
}

ServerProcess private_server(std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--auth-secret", secret, "--private", "_*", "--auth-cookie", "session"};
  args.insert(args.end(), more.begin(), more.end());
  return ServerProcess(args);
}

} // namespace

TEST(Auth, AnonymousReadsPublicButNotPrivate) {
  auto server = private_server();
  EXPECT_EQ(refusal(server, "/events/?channel=news"), "");
  EXPECT_EQ(refusal(server, "/events/?channel=news&channel=_private&channel=_secret"),
            R"({"condition": "forbidden", "text": "Permission denied to channels: _private, _secret", "channels": ["_private", "_secret"]})");
}

TEST(Auth, TokenFromHeaderQueryOrCookie) {
  auto server = private_server();
  auto token = token_for("alice");
  EXPECT_EQ(refusal(server, "/events/?channel=_private", {{"Authorization", "Bearer " + token}}), "");
  EXPECT_EQ(refusal(server, "/events/?channel=_private&token=" + token), "");
  EXPECT_EQ(refusal(server, "/events/?channel=_private", {{"Cookie", "other=1; session=" + token}}), "");
}

TEST(Auth, ChannelsClaimNarrowsWhatAUserReads) {
  auto server = private_server();
  auto token = token_for("bob", R"(, "channels": ["room-*", "_bob"])");
  Headers auth{{"Authorization", "Bearer " + token}};
  EXPECT_EQ(refusal(server, "/events/?channel=room-1&channel=_bob", auth), "");
  EXPECT_EQ(refusal(server, "/events/?channel=room-1&channel=news&channel=_alice", auth),
            R"({"condition": "forbidden", "text": "Permission denied to channels: news, _alice", "channels": ["news", "_alice"]})");
}

TEST(Auth, BadTokensAreRefusedNeverAnonymous) {
  auto server = private_server();
  auto refused = [&](const std::string& token) {
    return refusal(server, "/events/?channel=news", {{"Authorization", "Bearer " + token}});
  };
  EXPECT_NE(refused(es::auth::sign_hs256(R"({"sub": "eve"})", "wrong-secret")).find("Invalid token: the token's signature is wrong."),
            std::string::npos);
  EXPECT_NE(refused(es::auth::sign_hs256(R"({"sub": "eve", "exp": 1000})", secret)).find("the token has expired"),
            std::string::npos);
  EXPECT_NE(refused(es::auth::sign_hs256(R"({"sub": "eve"})", secret, R"({"alg":"none"})")).find("not signed with HS256"),
            std::string::npos);
  EXPECT_NE(refused(es::auth::sign_hs256(R"({"sub": "eve"})", secret, R"({"alg":"RS256"})")).find("not signed with HS256"),
            std::string::npos);
  EXPECT_NE(refused("garbage").find("\"condition\": \"forbidden\""), std::string::npos);
}

TEST(Auth, SkipUsersDoNotReceiveTheEvent) {
  auto server = private_server();
  SseClient alice(server.host(), server.port(), "/events/?channel=room", {{"Authorization", "Bearer " + token_for("alice")}});
  SseClient bob(server.host(), server.port(), "/events/?channel=room", {{"Authorization", "Bearer " + token_for("bob")}});
  SseClient anonymous(server.host(), server.port(), "/events/?channel=room");
  for (auto* c : {&alice, &bob, &anonymous}) ASSERT_EQ(c->next_event()->type, "stream-open");

  auto sent = run_eventstream({"send", "--url", server.base_url(), "--skip-user", "alice", "room", "said", "\"hi\""});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  publish(server, "room", "next", "1");
  EXPECT_EQ(bob.next_event()->type, "said");
  EXPECT_EQ(anonymous.next_event()->type, "said");
  EXPECT_EQ(alice.next_event()->type, "next"); // "said" skipped her

  // Nor does she get it when she replays the channel from storage.
  SseClient replaying(server.host(), server.port(), "/events/?channel=room",
                      {{"Authorization", "Bearer " + token_for("alice")}, {"Last-Event-ID", "room:0"}});
  ASSERT_EQ(replaying.next_event()->type, "stream-open");
  auto first = replaying.next_event();
  EXPECT_EQ(first->type, "next");
  EXPECT_EQ(first->id, "room:2");
}

// A page of replay whose events all skip the user writes nothing; the replay goes on
// at once, not at the next keep-alive.
TEST(Auth, AReplayOfEventsAllSkippingTheUserGoesOn) {
  auto server = private_server({"--keep-alive", "300"});
  std::string skipped = R"({"items": [)";
  for (int n = 1; n <= 150; ++n)
    skipped += std::string(n > 1 ? ", " : "") + R"({"channel": "room", "type": "said", "data": )" + std::to_string(n) +
               R"(, "skip_users": ["alice"]})";
  ASSERT_EQ(publish_body(server, skipped + "]}").status, 200);
  publish(server, "room", "next", "1");
  SseClient alice(server.host(), server.port(), "/events/?channel=room",
                  {{"Authorization", "Bearer " + token_for("alice")}, {"Last-Event-ID", "room:0"}});
  ASSERT_EQ(alice.next_event()->type, "stream-open");
  auto next = alice.next_event(10s);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->type, "next");
  EXPECT_EQ(next->id, "room:151");
}

TEST(Auth, AStreamEndsWhenItsTokenExpires) {
  auto server = private_server({"--auth-leeway", "0"});
  auto exp = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() + 2;
  auto token = es::auth::sign_hs256(R"({"sub": "carol", "exp": )" + std::to_string(exp) + "}", secret);
  SseClient client(server.host(), server.port(), "/events/?channel=_carol", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(client.next_event()->type, "stream-open");
  auto error = client.next_event(6s);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "stream-error");
  EXPECT_EQ(error->data, R"({"condition": "forbidden", "text": "The token has expired.", "channels": ["_carol"]})");
  EXPECT_TRUE(client.ended());
}

// A token's header is read before its signature is checked: anyone can send one, and a
// deep one must be refused like any bad token, not crash the server.
TEST(Auth, DeeplyNestedTokensAreRefused) {
  auto server = private_server({"--max-request-line", "1048576", "--max-header-bytes", "1048576"});
  auto deep = es::auth::sign_hs256(R"({"sub": "a"})", secret, std::string(500000, '['));
  auto refused = refusal(server, "/events/?channel=news&token=" + deep);
  EXPECT_NE(refused.find("Invalid token: the token's header is nested deeper than 256 levels at byte 256."),
            std::string::npos)
      << refused;
  EXPECT_EQ(refusal(server, "/events/?channel=news", {{"Authorization", "Bearer " + token_for("a")}}), "");
}

TEST(Auth, WithoutASecretTokensAreRefused) {
  ServerProcess server;
  EXPECT_NE(refusal(server, "/events/?channel=news&token=abc").find("has no --auth-secret"), std::string::npos);
}

TEST(Auth, WebhookAllowsDeniesAndIsCached) {
  WebhookServer app([](const std::string& user, const std::string& channel) {
    return user == "alice" && channel.starts_with("room-") ? 200 : 403;
  });
  auto server = private_server({"--auth-url", app.url(), "--auth-cache", "30"});
  Headers alice{{"Authorization", "Bearer " + token_for("alice")}, {"Cookie", "theme=dark"}};
  EXPECT_EQ(refusal(server, "/events/?channel=room-1", alice), "");
  EXPECT_EQ(refusal(server, "/events/?channel=room-1", alice), ""); // cached: no second call
  EXPECT_EQ(refusal(server, "/events/?channel=room-1&channel=hall", alice),
            R"({"condition": "forbidden", "text": "Permission denied to channels: hall", "channels": ["hall"]})");
  EXPECT_NE(refusal(server, "/events/?channel=room-1").find("forbidden"), std::string::npos); // anonymous

  auto calls = app.calls();
  ASSERT_EQ(calls.size(), 3u); // alice/room-1 once, alice/hall, anonymous/room-1
  EXPECT_EQ(calls[0].user, "alice");
  EXPECT_EQ(calls[0].channel, "room-1");
  EXPECT_EQ(calls[0].cookie, "theme=dark");
  EXPECT_EQ(calls[2].user, "");
}

TEST(Auth, WebhookErrorsAndTimeoutsRefuseWithInternalError) {
  WebhookServer broken([](const std::string&, const std::string&) { return 500; });
  auto server = private_server({"--auth-url", broken.url()});
  EXPECT_EQ(refusal(server, "/events/?channel=news"),
            R"({"condition": "internal-error", "text": "The permission check failed; try again later."})");
  EXPECT_NE(server.stderr_text().find("permission webhook"), std::string::npos);

  WebhookServer slow([](const std::string&, const std::string&) { return 200; }, 3s);
  auto impatient = private_server({"--auth-url", slow.url(), "--auth-timeout", "1"});
  EXPECT_NE(refusal(impatient, "/events/?channel=news").find("internal-error"), std::string::npos);
}

TEST(Auth, KickEndsOnlyTheStreamsThatLostAccess) {
  std::atomic<bool> alice_in_room{true};
  WebhookServer app([&](const std::string& user, const std::string& channel) {
    return user == "alice" && channel == "room" && !alice_in_room ? 403 : 200;
  });
  auto server = private_server({"--auth-url", app.url(), "--publish-key", "k"});
  Headers alice{{"Authorization", "Bearer " + token_for("alice")}};
  SseClient in_room(server.host(), server.port(), "/events/?channel=room&channel=lobby", alice);
  SseClient in_lobby(server.host(), server.port(), "/events/?channel=lobby", alice);
  SseClient bob(server.host(), server.port(), "/events/?channel=room", {{"Authorization", "Bearer " + token_for("bob")}});
  for (auto* c : {&in_room, &in_lobby, &bob}) ASSERT_EQ(c->next_event()->type, "stream-open");

  auto unchanged = run_eventstream({"kick", "--url", server.base_url(), "--key", "k", "alice", "room"});
  EXPECT_EQ(unchanged.exit_code, 0) << unchanged.err;
  EXPECT_EQ(unchanged.out, "0 streams ended\n");

  alice_in_room = false;
  auto kicked = run_eventstream({"kick", "--url", server.base_url(), "--key", "k", "alice", "room"});
  EXPECT_EQ(kicked.exit_code, 0) << kicked.err;
  EXPECT_EQ(kicked.out, "1 stream ended\n");
  auto error = in_room.next_event();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->data, R"({"condition": "forbidden", "text": "Permission denied to channels: room", "channels": ["room"]})");
  EXPECT_TRUE(in_room.ended());

  publish_body(server, R"({"items": [{"channel": "room", "data": 1}, {"channel": "lobby", "data": 2}]})",
               {{"Authorization", "Bearer k"}});
  EXPECT_EQ(bob.next_event()->data, "1");
  EXPECT_EQ(in_lobby.next_event()->data, "2");

  auto no_key = http_request(server.host(), server.port(), "POST", "/kick/", {}, R"({"user": "bob", "channel": "room"})");
  EXPECT_EQ(no_key.status, 401);
  auto bad = http_request(server.host(), server.port(), "POST", "/kick/", {{"Authorization", "Bearer k"}}, R"({"user": ""})");
  EXPECT_EQ(bad.status, 400);
}

TEST(Auth, SecretFromAFile) {
  TempDir dir;
  std::ofstream(dir.file("secret")) << secret << "\n";
  ServerProcess server({"--auth-secret-file", dir.file("secret"), "--private", "_*"});
  EXPECT_EQ(refusal(server, "/events/?channel=_x", {{"Authorization", "Bearer " + token_for("x")}}), "");
  auto empty = dir.file("empty");
  std::ofstream(empty) << "";
  auto refused = run_eventstream({"serve", "127.0.0.1:0", "--auth-secret-file", empty});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("is empty"), std::string::npos) << refused.err;
}
