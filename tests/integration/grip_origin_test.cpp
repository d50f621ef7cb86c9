// What the server answers a GRIP proxy (docs/protocol.md §10-11): requests
// signed with Grip-Sig get hold instructions and the missing events at once; anything
// else is a direct client. Pushpin itself is in grip_proxy_test.
#include <gtest/gtest.h>

#include <ctime>

#include "auth/jwt.hpp"
#include "grip/link_meta.hpp"
#include "support/http_client.hpp"
#include "support/publish.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

const std::string padding = ":" + std::string(2048, ' ') + "\n\n";
const std::string stream_open = "event: stream-open\ndata:\n\n";

std::string grip_sig(const std::string& key = "sigkey", long lifetime = 3600) {
  return es::auth::sign_hs256(R"({"exp": )" + std::to_string(std::time(nullptr) + lifetime) + R"(, "iss": "pushpin"})",
                              key);
}

HttpResponse proxied(const ServerProcess& server, const std::string& target, Headers headers = {}) {
  headers.emplace_back("Grip-Sig", grip_sig());
  return http_request(server.host(), server.port(), "GET", target, headers);
}

// The target of a Grip-Link header, `<target>; rel=next`.
std::string link_of(const HttpResponse& res) {
  std::string link = res.header("Grip-Link");
  EXPECT_TRUE(link.starts_with("<") && link.ends_with(">; rel=next")) << link;
  return link.substr(1, link.size() - 12);
}

} // namespace

TEST(GripOrigin, ProxiedRequestGetsHoldInstructionsLikeTheReference) {
  ServerProcess server({"--grip-sig-key", "sigkey"});
  for (int n = 1; n <= 4; ++n) publish(server, "test", "message", R"({"n": )" + std::to_string(n) + "}");
  publish(server, "test", "message", R"({"pct": "50% done"})");

  auto res = proxied(server, "/events/?channel=test");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.header("Content-Type"), "text/event-stream");
  EXPECT_EQ(res.header("Grip-Hold"), "stream");
  EXPECT_EQ(res.header("Grip-Channel"),
            "events-test; prev-id=5; filter=build-id; filter=skip-users, user-anonymous; filter=require-sub");
  EXPECT_EQ(res.header("Grip-Keep-Alive"), R"(event: keep-alive\ndata:\n\n; format=cstring; timeout=20)");
  EXPECT_EQ(res.header("Grip-Set-Meta"), R"(id_format="test:%(events-test)s", user="anonymous")");
  EXPECT_EQ(res.header("Cache-Control"), "no-cache");
  std::string link = link_of(res);
  EXPECT_TRUE(link.starts_with("/events/?channel=test&link=next&recover=true&es-meta=ey")) << link;
  EXPECT_EQ(res.body, padding + stream_open);

  // The proxy recovering from id 1: the rest, '%' doubled for build-id, and a new hold.
  auto recovered = proxied(server, link, {{"Grip-Last", "events-test; last-id=1"}});
  EXPECT_EQ(recovered.header("Grip-Hold"), "stream");
  EXPECT_EQ(recovered.body, "event: message\nid: test:2\ndata: {\"n\": 2}\n\n"
                            "event: message\nid: test:3\ndata: {\"n\": 3}\n\n"
                            "event: message\nid: test:4\ndata: {\"n\": 4}\n\n"
                            "event: message\nid: test:5\ndata: {\"pct\": \"50%% done\"}\n\n");
  EXPECT_EQ(proxied(server, link).body, "");
  EXPECT_EQ(proxied(server, link, {{"Grip-Last", "events-test; last-id=999999"}}).body,
            "event: stream-reset\nid: test:5\ndata: {\"channels\": [\"test\"]}\n\n");

  // A first request that resumes gets the preamble and what it missed.
  EXPECT_EQ(proxied(server, "/events/?channel=test", {{"Last-Event-ID", "test:4"}}).body,
            padding + stream_open + "event: message\nid: test:5\ndata: {\"pct\": \"50%% done\"}\n\n");
  EXPECT_EQ(server.stop(), 0);
}

TEST(GripOrigin, RecoveryUsesEveryChannelOfGripLast) {
  ServerProcess server({"--grip-sig-key", "sigkey"});
  publish(server, "a", "update", R"({"n": 1})");
  publish(server, "b", "update", R"({"n": 2})");
  publish(server, "a", "update", R"({"n": 3})");

  auto res = proxied(server, "/events/?channel=a&channel=b");
  EXPECT_EQ(res.header("Grip-Channel"), "events-a; prev-id=2; filter=build-id; filter=skip-users, "
                                        "events-b; prev-id=1; filter=build-id; filter=skip-users, "
                                        "user-anonymous; filter=require-sub");
  EXPECT_EQ(res.header("Grip-Set-Meta"), R"(id_format="a:%(events-a)s,b:%(events-b)s", user="anonymous")");
  // 4.5.1 keeps only the first entry and never recovers b; both are used here, folded
  // into one header or not.
  const std::string both = "event: update\nid: a:2,b:0\ndata: {\"n\": 3}\n\n"
                           "event: update\nid: a:2,b:1\ndata: {\"n\": 2}\n\n";
  EXPECT_EQ(proxied(server, link_of(res), {{"Grip-Last", "events-a; last-id=1, events-b; last-id=0"}}).body, both);
  EXPECT_EQ(proxied(server, link_of(res), {{"Grip-Last", "events-a; last-id=1"}, {"Grip-Last", "events-b; last-id=0"}})
                .body,
            both);
  EXPECT_EQ(server.stop(), 0);
}

TEST(GripOrigin, ChannelNamesAreEscapedForTheProxy) {
  ServerProcess server({"--grip-sig-key", "sigkey", "--reliable", "a b", "--reliable", "100%"});
  auto res = proxied(server, "/events/?channel=a%20b&channel=100%25&channel=live");
  EXPECT_EQ(res.header("Grip-Channel"), "events-a%20b; prev-id=0; filter=build-id; filter=skip-users, "
                                        "events-100%25; prev-id=0; filter=build-id; filter=skip-users, "
                                        "events-live; filter=skip-users, user-anonymous; filter=require-sub");
  EXPECT_EQ(res.header("Grip-Set-Meta"),
            R"(id_format="a%%20b:%(events-a%20b)s,100%%25:%(events-100%25)s", user="anonymous")");
  publish(server, "a b", "message", R"("x")");
  EXPECT_EQ(proxied(server, link_of(res), {{"Grip-Last", "events-a%20b; last-id=0"}}).body,
            "event: message\nid: a%%20b:1,100%%25:0\ndata: \"x\"\n\n");
  EXPECT_EQ(server.stop(), 0);
}

TEST(GripOrigin, ManyMissedEventsArePagedThroughTheLink) {
  ServerProcess server({"--grip-sig-key", "sigkey"});
  ASSERT_EQ(publish_body(server, numbered_batch("test", 1, 150)).status, 200);

  auto first = proxied(server, "/events/?channel=test", {{"Last-Event-ID", "test:0"}});
  EXPECT_FALSE(first.has_header("Grip-Hold"));
  EXPECT_FALSE(first.has_header("Grip-Keep-Alive"));
  std::string link = link_of(first);
  EXPECT_NE(link.find("&link=next&lastEventId=test%3A100&es-meta="), std::string::npos) << link;
  EXPECT_NE(first.body.find("id: test:100\ndata: 100\n\n"), std::string::npos);
  EXPECT_EQ(first.body.find("id: test:101\n"), std::string::npos);

  // The proxy fetches the page link at once, with the client's Last-Event-ID still on it.
  auto second = proxied(server, link, {{"Last-Event-ID", "test:0"}});
  EXPECT_EQ(second.header("Grip-Hold"), "stream");
  EXPECT_TRUE(second.body.starts_with("event: n\nid: test:101\ndata: 101\n\n")) << second.body.substr(0, 200);
  EXPECT_TRUE(second.body.ends_with("id: test:150\ndata: 150\n\n"));
  EXPECT_NE(link_of(second).find("&link=next&recover=true&es-meta="), std::string::npos);
  EXPECT_EQ(server.stop(), 0);
}

TEST(GripOrigin, ErrorsAreOrdinaryStreamErrorsWithoutInstructions) {
  ServerProcess server({"--grip-sig-key", "sigkey", "--private", "_*"});
  auto none = proxied(server, "/events/");
  EXPECT_FALSE(none.has_header("Grip-Hold"));
  EXPECT_EQ(none.body, "event: stream-error\nid: error\ndata: {\"condition\": \"bad-request\", \"text\": "
                       "\"Invalid request: No channels specified.\"}\n\n");
  auto forbidden = proxied(server, "/events/?channel=_private");
  EXPECT_FALSE(forbidden.has_header("Grip-Channel"));
  EXPECT_NE(forbidden.body.find("Permission denied to channels: _private"), std::string::npos);
  EXPECT_EQ(proxied(server, "/events/?channel=test", {{"Last-Event-ID", "error"}}).status, 400);

  // A link this server cannot read (4.5.1 answers 500) names no user: the answer ends
  // the held stream quietly, and the client reconnects with its own credentials.
  auto forged = proxied(server, "/events/?channel=_private&link=next&es-meta=garbage");
  EXPECT_EQ(forged.status, 200);
  EXPECT_EQ(forged.body, "");
  EXPECT_FALSE(forged.has_header("Grip-Hold"));
  EXPECT_FALSE(forged.has_header("Grip-Link"));
  EXPECT_NE(server.stderr_text().find("a GRIP link's es-meta cannot be used (the token is not a JWT"),
            std::string::npos);
  EXPECT_EQ(server.stop(), 0);
}

TEST(GripOrigin, LinksCarryTheUserAndAreSignedWithTheSecret) {
  const std::string secret = "user-secret";
  auto alice = es::auth::sign_hs256(R"({"sub": "alice", "exp": )" + std::to_string(std::time(nullptr) + 600) + "}",
                                    secret);
  ServerProcess server({"--grip-sig-key", "sigkey", "--auth-secret", secret, "--private", "_*", "--secret", "s1"});
  // Without --secret, the link secret comes from --auth-secret: instances sharing it read
  // each other's links.
  ServerProcess twin({"--grip-sig-key", "sigkey", "--auth-secret", secret, "--private", "_*"});
  ServerProcess sibling({"--grip-sig-key", "sigkey", "--auth-secret", secret, "--private", "_*"});
  auto twin_res = proxied(twin, "/events/?channel=_alice", {{"Authorization", "Bearer " + alice}});
  EXPECT_EQ(proxied(sibling, link_of(twin_res)).header("Grip-Set-Meta"),
            R"(id_format="_alice:%(events-_alice)s", user="alice")");

  auto res = proxied(server, "/events/?channel=_alice", {{"Authorization", "Bearer " + alice}});
  EXPECT_EQ(res.header("Grip-Channel"),
            "events-_alice; prev-id=0; filter=build-id; filter=skip-users, user-alice; filter=require-sub");
  EXPECT_EQ(res.header("Grip-Set-Meta"), R"(id_format="_alice:%(events-_alice)s", user="alice")");

  ASSERT_EQ(publish_body(server, R"({"channel": "_alice", "data": 1, "skip_users": ["alice"]})").status, 200);
  publish(server, "_alice", "message", "2");
  // The proxy's requests for the link carry no token: the link names the user.
  auto recovered = proxied(server, link_of(res), {{"Grip-Last", "events-_alice; last-id=0"}});
  EXPECT_EQ(recovered.header("Grip-Set-Meta"), R"(id_format="_alice:%(events-_alice)s", user="alice")");
  EXPECT_EQ(recovered.body, "event: message\nid: _alice:2\ndata: 2\n\n");

  // An instance with another --secret cannot read it: the held stream ends.
  ServerProcess other({"--grip-sig-key", "sigkey", "--auth-secret", secret, "--private", "_*", "--secret", "s2"});
  auto unread = proxied(other, link_of(res));
  EXPECT_EQ(unread.body, "");
  EXPECT_FALSE(unread.has_header("Grip-Hold"));
  EXPECT_NE(other.stderr_text().find("Give every instance behind the proxy the same --secret"), std::string::npos);
  EXPECT_EQ(other.stop(), 0);
  EXPECT_EQ(server.stop(), 0);
}

TEST(GripOrigin, ATokenAboutToExpireShortensTheLinkAndEndsTheHeldStream) {
  const std::string secret = "user-secret";
  auto expiring = std::time(nullptr) + 30;
  auto bob = es::auth::sign_hs256(R"({"sub": "bob", "exp": )" + std::to_string(expiring) + "}", secret);
  ServerProcess server({"--grip-sig-key", "sigkey", "--auth-secret", secret, "--auth-leeway", "0", "--secret", "s"});
  auto res = proxied(server, "/events/?channel=50%25off", {{"Authorization", "Bearer " + bob}});
  auto link = res.header("Grip-Link");
  // Pushpin asks again when the token ends, not after its usual two minutes.
  auto timeout = std::stol(link.substr(link.find("; timeout=") + 10));
  EXPECT_GE(timeout, 25);
  EXPECT_LE(timeout, 30);

  // The proxy asking after that: the end, as on a stream served directly; '%' doubled
  // for the build-id filter the held stream applies to link answers.
  std::string expired_meta = es::grip::sign_link_meta({{"50%off"}, "bob", expiring - 60, expiring - 60}, "s");
  auto after = proxied(server, "/events/?channel=50%25off&link=next&recover=true&es-meta=" + expired_meta);
  EXPECT_EQ(after.body, "event: stream-error\nid: error\ndata: {\"condition\": \"forbidden\", \"text\": "
                        "\"The token has expired.\", \"channels\": [\"50%%off\"]}\n\n");
  EXPECT_EQ(server.stop(), 0);
}

TEST(GripOrigin, TheLinkKeepsTheClientsParametersSafelyEncoded) {
  ServerProcess server({"--grip-sig-key", "sigkey"});
  auto res = proxied(server, "/events/?channel=a+b&x=%3E;%20rel=evil&lastEventId=a%20b:0&recover=no");
  std::string link = link_of(res);
  EXPECT_TRUE(link.starts_with("/events/?channel=a%20b&x=%3E%3B%20rel%3Devil&link=next&recover=true&es-meta="))
      << link;
  EXPECT_EQ(link.find_first_of("<>\" ,;", 0), std::string::npos) << link;
  EXPECT_EQ(server.stop(), 0);
}

TEST(GripOrigin, ExactlyAFullPageMissedNeedsNoSecondPage) {
  ServerProcess server({"--grip-sig-key", "sigkey"});
  ASSERT_EQ(publish_body(server, numbered_batch("test", 1, 100)).status, 200);
  auto res = proxied(server, "/events/?channel=test", {{"Last-Event-ID", "test:0"}});
  EXPECT_EQ(res.header("Grip-Hold"), "stream");
  EXPECT_NE(link_of(res).find("&recover=true&"), std::string::npos);
  EXPECT_TRUE(res.body.ends_with("id: test:100\ndata: 100\n\n"));
  EXPECT_EQ(server.stop(), 0);
}

TEST(GripOrigin, ASignatureThatDoesNotVerifyIsADirectClient) {
  ServerProcess server({"--grip-sig-key", "sigkey"});
  for (const auto& sig : {grip_sig("wrong-key"), grip_sig("sigkey", -10), std::string("anything")}) {
    SseClient client(server.host(), server.port(), "/events/?channel=test", {{"Grip-Sig", sig}});
    ASSERT_TRUE(client.read_head());
    EXPECT_FALSE(client.has_header("Grip-Hold"));
    EXPECT_EQ(client.next_event()->type, "stream-open");
    EXPECT_FALSE(client.ended(100ms)); // a stream, held here
  }
  EXPECT_NE(server.stderr_text().find("has a Grip-Sig that does not verify (the token's signature is wrong)"),
            std::string::npos)
      << server.stderr_text();
  // Clients choose the header: one line a minute.
  EXPECT_EQ(server.stderr_text().find("(it has expired)"), std::string::npos);
  EXPECT_EQ(server.stop(), 0);

  // A proxy URL without a key does not make any Grip-Sig trusted (4.5.1 trusts "x").
  ServerProcess keyless({"--grip-url", "http://127.0.0.1:1"});
  SseClient client(keyless.host(), keyless.port(), "/events/?channel=test", {{"Grip-Sig", "x"}});
  ASSERT_TRUE(client.read_head());
  EXPECT_FALSE(client.has_header("Grip-Hold"));
  EXPECT_NE(keyless.stderr_text().find("no key to verify Grip-Sig with"), std::string::npos) << keyless.stderr_text();
  EXPECT_EQ(keyless.stop(), 0);
}
