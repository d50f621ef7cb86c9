// The channel mapping (--channels-url, docs/protocol.md §18) against a real application
// endpoint (a FakeHttpServer): what it is asked, how its answers pick or refuse a
// stream's channels, and that the usual rules still apply to what it picks.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "auth/jwt.hpp"
#include "support/fake_http_server.hpp"
#include "support/h2_client.hpp"
#include "support/publish.hpp"
#include "support/sse_client.hpp"
#include "support/webhook_server.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

const std::string secret = "test-secret";

std::string token_for(const std::string& user) {
  auto exp = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() + 3600;
  return es::auth::sign_hs256(R"({"sub": ")" + user + R"(", "exp": )" + std::to_string(exp) + "}", secret);
}

// An application that answers every question the same way.
FakeHttpServer answering(int status, std::string body, std::string content_type = "application/json",
                         std::chrono::milliseconds delay = 0ms) {
  return FakeHttpServer([=](const FakeRequest&) {
    std::this_thread::sleep_for(delay);
    return FakeReply{status, body, content_type};
  });
}

ServerProcess mapped_server(const FakeHttpServer& app, std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--channels-url", app.url() + "/channels", "--auth-secret", secret};
  args.insert(args.end(), more.begin(), more.end());
  return ServerProcess(args);
}

// The data of the stream's first event when it is a stream-error, "" when the stream opened.
std::string refusal(const ServerProcess& server, const std::string& target, Headers headers = {}) {
  SseClient client(server.host(), server.port(), target, headers);
  auto first = client.next_event();
  if (!first) return "no answer";
  return first->type == "stream-open" ? "" : first->data;
}

} // namespace

TEST(ChannelMapping, TheAnswerReplacesTheRoutesChannelsAndIsCached) {
  auto app = answering(200, R"({"channels": ["news", "sports", "news"]})");
  auto server = mapped_server(app);
  SseClient client(server.host(), server.port(), "/events/"); // no ?channel=: the application picks
  ASSERT_EQ(client.next_event()->type, "stream-open");
  SseClient again(server.host(), server.port(), "/events/");
  ASSERT_EQ(again.next_event()->type, "stream-open");
  EXPECT_EQ(app.requests().size(), 1u); // the same question: answered from the cache

  publish(server, "sports", "score", "1");
  publish(server, "elsewhere", "score", "2");
  publish(server, "news", "said", "3");
  EXPECT_EQ(client.next_event()->data, "1");
  EXPECT_EQ(client.next_event()->data, "3");

  // A stream asked for with the route's own channel gets the application's instead.
  SseClient asked(server.host(), server.port(), "/events/?channel=elsewhere");
  ASSERT_EQ(asked.next_event()->type, "stream-open");
  publish(server, "elsewhere", "score", "4");
  publish(server, "news", "said", "5");
  EXPECT_EQ(asked.next_event()->data, "5");

  // Nothing but a stream asks: HEAD and OPTIONS are answered at once.
  auto calls = app.requests().size();
  EXPECT_EQ(http_request(server.host(), server.port(), "HEAD", "/events/?x=head").status, 200);
  EXPECT_EQ(http_request(server.host(), server.port(), "OPTIONS", "/events/?x=options").status, 204);
  EXPECT_EQ(app.requests().size(), calls);
}

TEST(ChannelMapping, TheQuestionCarriesPathRouteParamsQueryUserAndHeaders) {
  auto app = answering(200, R"({"channels": ["room-7"]})");
  auto server = mapped_server(app, {"--route", "/rooms/{room}/events/=room-{room}"});
  auto token = token_for("alice");
  EXPECT_EQ(refusal(server, "/rooms/7/events/?channel=a&x=1&channel=b&lastEventId=room-7:3",
                    {{"Authorization", "Bearer " + token}, {"Cookie", "theme=dark"}}),
            "");
  EXPECT_EQ(refusal(server, "/rooms/8/events/"), "");
  auto requests = app.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/channels");
  EXPECT_EQ(requests[0].header("Content-Type"), "application/json");
  // Where the stream resumes is not asked about, so a reconnect is answered from the cache.
  EXPECT_EQ(requests[0].body, R"({"path": "/rooms/7/events/", "route": "/rooms/{room}/events/", )"
                              R"("params": {"room": "7"}, "query": {"channel": ["a", "b"], "x": ["1"]}, )"
                              R"("user": "alice"})");
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer " + token);
  EXPECT_EQ(requests[0].header("Cookie"), "theme=dark");
  EXPECT_EQ(requests[1].body, R"({"path": "/rooms/8/events/", "route": "/rooms/{room}/events/", )"
                              R"("params": {"room": "8"}, "query": {}, "user": null})");
  EXPECT_EQ(requests[1].header("Authorization"), "");

  // A bad token is refused before anyone is asked.
  EXPECT_NE(refusal(server, "/rooms/7/events/", {{"Authorization", "Bearer garbage"}}).find("Invalid token"),
            std::string::npos);
  EXPECT_EQ(app.requests().size(), 2u);
}

TEST(ChannelMapping, RefusalsCarryTheApplicationsMessage) {
  auto json = answering(403, R"({"message": "Not in room 7.\nAsk its owner."})");
  EXPECT_EQ(refusal(mapped_server(json), "/events/"),
            R"({"condition": "forbidden", "text": "Not in room 7. Ask its owner."})");

  auto text = answering(401, "Log in first.\r\n", "text/plain");
  EXPECT_EQ(refusal(mapped_server(text), "/events/"), R"({"condition": "forbidden", "text": "Log in first."})");

  auto bare = answering(403, "{}");
  EXPECT_EQ(refusal(mapped_server(bare), "/events/"), R"({"condition": "forbidden", "text": "Permission denied."})");

  auto long_message = answering(403, R"({"message": ")" + std::string(5000, 'x') + R"("})");
  EXPECT_EQ(refusal(mapped_server(long_message), "/events/"),
            R"({"condition": "forbidden", "text": ")" + std::string(512, 'x') + R"("})");
}

TEST(ChannelMapping, FailuresRefuseWithInternalError) {
  const std::string internal_error =
      R"({"condition": "internal-error", "text": "The channel mapping failed; try again later."})";
  auto broken = answering(500, R"({"channels": ["news"]})");
  auto server = mapped_server(broken);
  EXPECT_EQ(refusal(server, "/events/"), internal_error);
  EXPECT_NE(server.stderr_text().find("channel mapping http://127.0.0.1:" + std::to_string(broken.port()) +
                                      "/channels failed for user '' on /events/: status 500"),
            std::string::npos)
      << server.stderr_text();

  for (const std::string body : {"not json", R"({"channels": "news"})", R"({"channels": ["news", 7]})", "[]"}) {
    auto wrong = answering(200, body);
    EXPECT_EQ(refusal(mapped_server(wrong), "/events/"), internal_error) << body;
  }

  auto slow = answering(200, R"({"channels": ["news"]})", "application/json", 3s);
  EXPECT_EQ(refusal(mapped_server(slow, {"--auth-timeout", "1"}), "/events/"), internal_error);
}

TEST(ChannelMapping, TheUsualRulesApplyToWhatTheApplicationPicks) {
  auto none = answering(200, R"({"channels": []})");
  EXPECT_EQ(refusal(mapped_server(none), "/events/?channel=a"),
            R"({"condition": "bad-request", "text": "Invalid request: No channels specified."})");

  auto many = answering(200, R"({"channels": ["a", "b", "c"]})");
  EXPECT_EQ(refusal(mapped_server(many, {"--channel-limit", "2"}), "/events/"),
            R"({"condition": "bad-request", "text": "Invalid request: Channel limit exceeded."})");

  auto control = answering(200, R"({"channels": ["a\nb"]})");
  EXPECT_NE(refusal(mapped_server(control), "/events/").find("control character"), std::string::npos);

  // --private and --auth-url judge the mapped channels, as they would the route's.
  auto secret_room = answering(200, R"({"channels": ["lobby", "_room"]})");
  WebhookServer permissions([](const std::string& user, const std::string& channel) {
    return user == "alice" || channel == "lobby" ? 200 : 403;
  });
  auto server = mapped_server(secret_room, {"--private", "_*", "--auth-url", permissions.url()});
  EXPECT_EQ(refusal(server, "/events/"),
            R"({"condition": "forbidden", "text": "Permission denied to channels: _room", "channels": ["_room"]})");
  EXPECT_EQ(refusal(server, "/events/", {{"Authorization", "Bearer " + token_for("bob")}}),
            R"({"condition": "forbidden", "text": "Permission denied to channels: _room", "channels": ["_room"]})");
  EXPECT_EQ(refusal(server, "/events/", {{"Authorization", "Bearer " + token_for("alice")}}), "");
  EXPECT_EQ(permissions.calls().size(), 4u); // bob and alice, each on lobby and _room
}

TEST(ChannelMapping, Http2StreamsAreMappedToo) {
  auto app = answering(200, R"({"channels": ["over-h2"]})");
  auto server = mapped_server(app);
  h2::Client h2(server.host(), server.port());
  ASSERT_TRUE(h2.request(1, "GET", "/events/"));
  ASSERT_TRUE(h2.wait_until([&] { return h2.stream(1).body.find("stream-open") != std::string::npos; }));
  publish(server, "over-h2", "message", R"("mapped")");
  EXPECT_TRUE(h2.wait_until([&] { return h2.stream(1).body.find("data: \"mapped\"") != std::string::npos; }))
      << h2.stream(1).body;
  EXPECT_EQ(app.requests().size(), 1u);
}

TEST(ChannelMapping, TheUrlMustBeHttp) {
  auto refused = run_eventstream({"serve", "127.0.0.1:0", "--channels-url", "ftp://app/channels"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--channels-url 'ftp://app/channels' is not an http:// or https:// URL"),
            std::string::npos)
      << refused.err;
}

// A kick changes what its user may read: the mappings cached for that user are asked
// again, so a new stream is not refused for a channel the mapping named before.
TEST(ChannelMapping, AKickForgetsTheUsersMappings) {
  auto app = answering(200, R"({"channels": ["news"]})");
  auto server = mapped_server(app, {"--publish-key", "k"});
  Headers alice{{"Authorization", "Bearer " + token_for("alice")}};
  EXPECT_EQ(refusal(server, "/events/", alice), "");
  EXPECT_EQ(refusal(server, "/events/", alice), "");
  EXPECT_EQ(app.requests().size(), 1u);
  auto kicked = http_request(server.host(), server.port(), "POST", "/kick/", {{"Authorization", "Bearer k"}},
                             R"({"user": "alice", "channel": "news"})");
  EXPECT_EQ(kicked.status, 200) << kicked.body;
  EXPECT_EQ(refusal(server, "/events/", alice), "");
  EXPECT_EQ(app.requests().size(), 2u);
}
