// The Mercure hub (docs/mercure.md) through the real binary: what a Mercure client,
// unchanged, does against /.well-known/mercure, on one instance and on two sharing Redis.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/jwt_signing.hpp"
#include "support/publish.hpp"
#include "support/redis_process.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"
#include "support/temp_dir.hpp"
#include "util/url.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

const std::string secret = "!ChangeThisMercureHubJWTSecretKey!";
const std::string hub = "/.well-known/mercure";

// A hub on memory storage, unless `more` names another.
std::vector<std::string> hub_args(std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--mercure-publisher-jwt-key", secret};
  if (std::find(more.begin(), more.end(), "--storage") == more.end()) more.insert(more.end(), {"--storage", "memory"});
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::string token(const std::string& claims, const std::string& alg = "HS256", const std::string& key = secret) {
  return sign_jwt(alg, key, claims);
}

const std::string publisher = R"({"mercure": {"publish": ["*"]}})";

using Form = std::vector<std::pair<std::string, std::string>>;

std::string encoded(const Form& form) {
  std::string body;
  for (const auto& [name, value] : form)
    body += (body.empty() ? "" : "&") + es::percent_encode(name, "") + "=" + es::percent_encode(value, "");
  return body;
}

HttpResponse post_update(const ServerProcess& server, const Form& form, const Headers& auth) {
  Headers headers{{"Content-Type", "application/x-www-form-urlencoded"}};
  headers.insert(headers.end(), auth.begin(), auth.end());
  return http_request(server.host(), server.port(), "POST", hub, headers, encoded(form));
}

// Publishes as a publisher allowed every topic; the update's id.
std::string publish_update(const ServerProcess& server, const Form& form) {
  auto res = post_update(server, form, {{"Authorization", "Bearer " + token(publisher)}});
  EXPECT_EQ(res.status, 200) << res.body;
  return res.body;
}

std::string subscribe_target(const std::vector<std::string>& topics, const std::string& more = "") {
  std::string target = hub + "?";
  for (const auto& topic : topics) target += "topic=" + es::percent_encode(topic, "") + "&";
  return target + more;
}

// Reads a stream's head; the hub flushes it before any update.
void expect_open(SseClient& client) {
  ASSERT_TRUE(client.read_head());
  ASSERT_EQ(client.status(), 200) << client.body();
  EXPECT_EQ(client.header("Content-Type"), "text/event-stream");
}

} // namespace

TEST(Mercure, TemplateSubscribersGetMatchingUpdatesWithTheirFields) {
  ServerProcess server(hub_args({"--mercure-anonymous"}));
  SseClient books(server.host(), server.port(), subscribe_target({"https://example.com/books/{id}"}));
  expect_open(books);
  SseClient exact(server.host(), server.port(), subscribe_target({"https://example.com/users/1"}));
  expect_open(exact);

  publish_update(server, {{"topic", "https://example.com/users/1"}, {"data", "user"}});
  auto id = publish_update(server, {{"topic", "https://example.com/books/1"}, {"topic", "https://example.com/users/1"},
                                    {"data", "line one\nline two"}, {"id", "urn:book:1"}, {"type", "book"},
                                    {"retry", "1500"}});
  EXPECT_EQ(id, "urn:book:1");
  auto book = books.next_event();
  ASSERT_TRUE(book);
  EXPECT_EQ(book->id, "urn:book:1");
  EXPECT_EQ(book->type, "book");
  EXPECT_EQ(book->data, "line one\nline two");
  EXPECT_NE(books.body().find("retry: 1500\n"), std::string::npos) << books.body();
  EXPECT_FALSE(books.next_event(500ms)); // the users/1 update matched nobody's template here

  auto first = exact.next_event();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->data, "user");
  EXPECT_EQ(first->id.value_or("").rfind("urn:uuid:", 0), 0u); // generated
  EXPECT_EQ(exact.next_event()->id, "urn:book:1");             // its second topic matched
}

TEST(Mercure, MatchAndUrlPatternSelectorsOfTheDraft) {
  ServerProcess server(hub_args({"--mercure-anonymous"}));
  SseClient pattern(server.host(), server.port(), hub + "?match_urlpattern=" + es::percent_encode("https://example.com/books/:id", ""));
  expect_open(pattern);
  SseClient exact(server.host(), server.port(), hub + "?match=" + es::percent_encode("https://example.com/books/{id}", ""));
  expect_open(exact);
  publish_update(server, {{"topic", "https://example.com/books/9"}, {"data", "nine"}});
  publish_update(server, {{"topic", "https://example.com/books/{id}"}, {"data", "literal"}});
  EXPECT_EQ(pattern.next_event()->data, "nine");
  EXPECT_EQ(exact.next_event()->data, "literal"); // match= is exact: no template

  auto refused = http_request(server.host(), server.port(), "GET", hub + "?match_urlpattern=" + es::percent_encode("/(\\d+)", ""));
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("regular-expression group"), std::string::npos) << refused.body;
  EXPECT_EQ(http_request(server.host(), server.port(), "GET", hub).status, 400); // no selector
}

TEST(Mercure, PublishingNeedsAPublisherTokenForEveryTopic) {
  ServerProcess server(hub_args());
  Form form{{"topic", "https://example.com/books/1"}, {"data", "x"}};
  auto none = post_update(server, form, {});
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.header("WWW-Authenticate").find("Bearer"), std::string::npos);
  auto forged = post_update(server, form, {{"Authorization", "Bearer " + token(publisher, "HS256", "wrong key")}});
  EXPECT_EQ(forged.status, 401);

  auto books_only = token(R"({"mercure": {"publish": ["https://example.com/books/{id}"]}})");
  auto ok = post_update(server, form, {{"Authorization", "Bearer " + books_only}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("Content-Type").rfind("text/plain", 0), 0u);
  auto outside = post_update(server, {{"topic", "https://example.com/books/1"}, {"topic", "https://example.com/users/1"}},
                             {{"Authorization", "Bearer " + books_only}});
  EXPECT_EQ(outside.status, 403) << outside.body;

  // The query parameter carries it too; the cookie only from a listed origin (below).
  EXPECT_EQ(post_update(server, form, {{"Cookie", "mercureAuthorization=" + books_only}}).status, 403);
  auto by_query = http_request(server.host(), server.port(), "POST", hub + "?authorization=" + books_only,
                               {{"Content-Type", "application/x-www-form-urlencoded"}}, encoded(form));
  EXPECT_EQ(by_query.status, 200) << by_query.body;

  auto bad_form = post_update(server, {{"data", "no topic"}}, {{"Authorization", "Bearer " + books_only}});
  EXPECT_EQ(bad_form.status, 400);
  EXPECT_NE(bad_form.body.find("topic"), std::string::npos) << bad_form.body;
}

TEST(Mercure, PrivateUpdatesReachOnlyAuthorizedSubscribers) {
  ServerProcess server(hub_args({"--mercure-anonymous"}));
  auto topics = std::vector<std::string>{"https://example.com/books/{id}"};
  SseClient anonymous(server.host(), server.port(), subscribe_target(topics));
  expect_open(anonymous);
  auto legacy = token(R"({"mercure": {"subscribe": ["https://example.com/books/{id}"]}})");
  SseClient allowed(server.host(), server.port(), subscribe_target(topics), {{"Authorization", "Bearer " + legacy}});
  expect_open(allowed);
  auto draft = token(R"({"authorization_details": [{"type": "https://mercure.rocks/authorization-detail",
      "actions": ["subscribe"], "topics": [{"match": "https://example.com/books/:id", "match_type": "urlpattern"}]}]})");
  SseClient draft_allowed(server.host(), server.port(), subscribe_target(topics), {{"Cookie", "mercureAuthorization=" + draft}});
  expect_open(draft_allowed);
  auto other = token(R"({"mercure": {"subscribe": ["https://example.com/users/{id}"]}})");
  SseClient refused(server.host(), server.port(), subscribe_target(topics), {{"Authorization", "Bearer " + other}});
  expect_open(refused);

  publish_update(server, {{"topic", "https://example.com/books/1"}, {"data", "secret"}, {"private", "on"}});
  publish_update(server, {{"topic", "https://example.com/books/2"}, {"data", "public"}});
  EXPECT_EQ(allowed.next_event()->data, "secret");
  EXPECT_EQ(draft_allowed.next_event()->data, "secret");
  EXPECT_EQ(anonymous.next_event()->data, "public");
  EXPECT_EQ(refused.next_event()->data, "public");
}

TEST(Mercure, WithoutAnonymousSubscribersNeedAToken) {
  ServerProcess server(hub_args());
  auto res = http_request(server.host(), server.port(), "GET", subscribe_target({"*"}));
  EXPECT_EQ(res.status, 401);
  EXPECT_NE(res.header("WWW-Authenticate").find("Bearer"), std::string::npos);
  SseClient ok(server.host(), server.port(), subscribe_target({"*"}),
               {{"Authorization", "Bearer " + token(R"({"mercure": {"subscribe": []}})")}});
  expect_open(ok);
}

TEST(Mercure, HistoryReplaysAfterAnIdAcrossTopicsInPublishOrder) {
  TempDir dir;
  auto db = dir.file("hub.db");
  std::vector<std::string> ids;
  {
    ServerProcess server({"--mercure-publisher-jwt-key", secret, "--mercure-anonymous", "--db", db});
    ids.push_back(publish_update(server, {{"topic", "https://example.com/a"}, {"data", "1"}}));
    ids.push_back(publish_update(server, {{"topic", "https://example.com/b"}, {"data", "2"}}));
    ids.push_back(publish_update(server, {{"topic", "https://example.com/c"}, {"data", "3"}}));
    ids.push_back(publish_update(server, {{"topic", "https://example.com/a"}, {"data", "4"}}));
    EXPECT_EQ(server.stop(), 0);
  }
  // After a restart, from what SQLite holds.
  ServerProcess server({"--mercure-publisher-jwt-key", secret, "--mercure-anonymous", "--db", db});
  SseClient resumed(server.host(), server.port(), subscribe_target({"https://example.com/a", "https://example.com/c"}),
                    {{"Last-Event-ID", ids[0]}});
  expect_open(resumed);
  EXPECT_EQ(resumed.header("Last-Event-ID"), ids[0]);
  EXPECT_EQ(resumed.next_event()->data, "3");
  EXPECT_EQ(resumed.next_event()->data, "4");
  publish_update(server, {{"topic", "https://example.com/a"}, {"data", "5"}});
  EXPECT_EQ(resumed.next_event()->data, "5");

  SseClient earliest(server.host(), server.port(), subscribe_target({"*"}, "lastEventID=earliest"));
  expect_open(earliest);
  for (const char* data : {"1", "2", "3", "4", "5"}) EXPECT_EQ(earliest.next_event()->data, data);

  SseClient unknown(server.host(), server.port(), subscribe_target({"*"}), {{"Last-Event-ID", "urn:uuid:gone"}});
  expect_open(unknown);
  EXPECT_EQ(unknown.header("Last-Event-ID"), "earliest");
  EXPECT_FALSE(unknown.next_event(500ms));

  SseClient hostile(server.host(), server.port(), subscribe_target({"*"}, "lastEventID=%0d%0aX-Evil:%201"));
  expect_open(hostile);
  EXPECT_EQ(hostile.header("Last-Event-ID"), "earliest");
  EXPECT_FALSE(hostile.has_header("X-Evil"));
}

TEST(Mercure, SubscriptionsApiAndSubscriptionEvents) {
  ServerProcess server(hub_args({"--mercure-anonymous", "--mercure-subscriptions"}));
  auto watcher_token = token(R"({"mercure": {"subscribe": ["/.well-known/mercure/subscriptions{/topic}{/subscriber}"]}})");
  SseClient watcher(server.host(), server.port(),
                    subscribe_target({"/.well-known/mercure/subscriptions{/topic}{/subscriber}"}),
                    {{"Authorization", "Bearer " + watcher_token}});
  expect_open(watcher);
  std::string subscription_id;
  {
    SseClient books(server.host(), server.port(), subscribe_target({"https://example.com/books/{id}"}));
    expect_open(books);
    auto joined = watcher.next_event();
    ASSERT_TRUE(joined);
    EXPECT_NE(joined->data.find(R"("active":true)"), std::string::npos) << joined->data;
    EXPECT_NE(joined->data.find(R"("topic":"https://example.com/books/{id}")"), std::string::npos) << joined->data;

    auto list = http_request(server.host(), server.port(), "GET", hub + "/subscriptions",
                             {{"Authorization", "Bearer " + watcher_token}});
    EXPECT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(list.header("Content-Type").rfind("application/ld+json", 0), 0u);
    EXPECT_NE(list.body.find("https://example.com/books/{id}"), std::string::npos) << list.body;
    auto by_topic = http_request(server.host(), server.port(), "GET",
                                 hub + "/subscriptions/" + es::percent_encode("https://example.com/books/{id}", ""),
                                 {{"Authorization", "Bearer " + watcher_token}});
    EXPECT_EQ(by_topic.status, 200) << by_topic.body;
    EXPECT_NE(by_topic.body.find(R"("type":"Subscription")"), std::string::npos) << by_topic.body;
    EXPECT_EQ(http_request(server.host(), server.port(), "GET", hub + "/subscriptions").status, 401);
  }
  auto left = watcher.next_event();
  ASSERT_TRUE(left);
  EXPECT_NE(left->data.find(R"("active":false)"), std::string::npos) << left->data;
}

TEST(Mercure, CorsForBrowserSubscribersWithCookies) {
  ServerProcess server(hub_args({"--mercure-anonymous", "--mercure-cors-origin", "https://app.example.com"}));
  auto preflight = http_request(server.host(), server.port(), "OPTIONS", hub,
                                {{"Origin", "https://app.example.com"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(preflight.header("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(preflight.header("Access-Control-Allow-Credentials"), "true");
  SseClient listed(server.host(), server.port(), subscribe_target({"*"}), {{"Origin", "https://app.example.com"}});
  expect_open(listed);
  EXPECT_EQ(listed.header("Access-Control-Allow-Origin"), "https://app.example.com");
  SseClient other(server.host(), server.port(), subscribe_target({"*"}), {{"Origin", "https://evil.example"}});
  expect_open(other);
  EXPECT_FALSE(other.has_header("Access-Control-Allow-Origin"));
  // A page of another origin cannot publish with the cookie the browser sends by itself.
  auto csrf = post_update(server, {{"topic", "x"}, {"data", "y"}},
                          {{"Cookie", "mercureAuthorization=" + token(publisher)}, {"Origin", "https://evil.example"}});
  EXPECT_EQ(csrf.status, 403) << csrf.body;
  auto same_site = post_update(server, {{"topic", "x"}, {"data", "y"}},
                               {{"Cookie", "mercureAuthorization=" + token(publisher)}, {"Origin", "https://app.example.com"}});
  EXPECT_EQ(same_site.status, 200) << same_site.body;
  EXPECT_EQ(same_site.header("Access-Control-Allow-Origin"), "https://app.example.com");
}

TEST(Mercure, PublicKeyTokensRs256AndEs256) {
  TempDir dir;
  for (auto [alg, keys] : {std::pair{std::string("RS256"), make_rsa_key()}, std::pair{std::string("ES256"), make_ec_p256_key()}}) {
    auto key_file = dir.file(alg + ".pem");
    std::ofstream(key_file) << keys.public_pem;
    ServerProcess server({"--mercure-publisher-jwt-key", key_file, "--mercure-jwt-algorithm", alg, "--storage", "memory"});
    Form form{{"topic", "https://example.com/1"}, {"data", "x"}};
    EXPECT_EQ(post_update(server, form, {{"Authorization", "Bearer " + token(publisher, alg, keys.private_pem)}}).status, 200) << alg;
    // The public key used as an HMAC secret: the classic confusion, refused.
    EXPECT_EQ(post_update(server, form, {{"Authorization", "Bearer " + token(publisher, "HS256", keys.public_pem)}}).status, 401) << alg;
  }
}

TEST(Mercure, TwoInstancesSharingRedisAreOneHub) {
  RedisProcess redis;
  auto args = [&] { return hub_args({"--mercure-anonymous", "--storage", "redis", "--redis", redis.url()}); };
  ServerProcess a(args());
  ServerProcess b(args());
  SseClient on_b(b.host(), b.port(), subscribe_target({"https://example.com/books/{id}"}));
  expect_open(on_b);
  auto subscriber = token(R"({"mercure": {"subscribe": ["https://example.com/books/{id}"]}})");
  SseClient private_on_b(b.host(), b.port(), subscribe_target({"https://example.com/books/{id}"}),
                         {{"Authorization", "Bearer " + subscriber}});
  expect_open(private_on_b);

  auto first = publish_update(a, {{"topic", "https://example.com/books/1"}, {"data", "from a"}});
  publish_update(a, {{"topic", "https://example.com/books/2"}, {"data", "private"}, {"private", "on"}});
  publish_update(b, {{"topic", "https://example.com/books/3"}, {"data", "from b"}});
  EXPECT_EQ(on_b.next_event()->data, "from a");
  EXPECT_EQ(on_b.next_event()->data, "from b"); // the private one is filtered on b too
  EXPECT_EQ(private_on_b.next_event()->data, "from a");
  EXPECT_EQ(private_on_b.next_event()->data, "private");

  // History is shared: an id given out by a resumes on b.
  SseClient resumed(b.host(), b.port(), subscribe_target({"*"}), {{"Last-Event-ID", first}});
  expect_open(resumed);
  EXPECT_EQ(resumed.header("Last-Event-ID"), first);
  EXPECT_EQ(resumed.next_event()->data, "from b");
}

TEST(Mercure, DiscoveryLinkOnOurOwnStreams) {
  ServerProcess server(hub_args({"--mercure-discovery", "https://example.com/.well-known/mercure"}));
  SseClient ours(server.host(), server.port(), "/events/?channel=test");
  ASSERT_TRUE(ours.read_head());
  EXPECT_EQ(ours.header("Link"), "<https://example.com/.well-known/mercure>; rel=\"mercure\"");
}

TEST(Mercure, OptionsWithoutTheHubAreRefusedAtStart) {
  auto result = run_eventstream({"serve", "127.0.0.1:0", "--mercure-anonymous"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("--mercure-publisher-jwt-key"), std::string::npos) << result.err;
  auto bad_key = run_eventstream({"serve", "127.0.0.1:0", "--mercure-publisher-jwt-key", "/nonexistent.pem",
                                  "--mercure-jwt-algorithm", "RS256"});
  EXPECT_NE(bad_key.exit_code, 0);
  EXPECT_NE(bad_key.err.find("/nonexistent.pem"), std::string::npos) << bad_key.err;
}
