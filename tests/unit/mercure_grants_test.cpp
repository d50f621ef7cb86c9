#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "mercure/grants.hpp"
#include "util/json_reader.hpp"

using es::auth::TokenError;
using es::mercure::Grants;
using es::mercure::read_grants;
using es::mercure::Selector;

namespace {

constexpr std::string_view base_url = "https://example.com/.well-known/mercure";

Grants grants_of(std::string_view json) {
  rapidjson::Document doc;
  if (auto problem = es::read_json(doc, json); !problem.empty()) throw std::runtime_error(problem);
  return read_grants(doc, base_url);
}

std::string error_of(std::string_view json) {
  try {
    grants_of(json);
  } catch (const TokenError& e) {
    return e.what();
  }
  return "accepted";
}

std::string detail(std::string_view actions, std::string_view topics, std::string_view extra = "") {
  return R"({"type": "https://mercure.rocks/authorization-detail", "actions": )" + std::string(actions) +
         R"(, "topics": )" + std::string(topics) + std::string(extra) + "}";
}

std::string details(const std::string& list) { return R"({"authorization_details": [)" + list + "]}"; }

} // namespace

TEST(MercureGrants, LegacyMercureClaim) {
  auto grants = grants_of(R"({"exp": 1800000000, "mercure": {"publish": ["https://example.com/books/1"],
                              "subscribe": ["https://example.com/books/1", "https://example.com/users/42"],
                              "payload": {"user": "https://example.com/users/42", "n": [1, 2]}}})");
  EXPECT_EQ(grants.expires, 1800000000);
  EXPECT_TRUE(grants.may_publish({"https://example.com/books/1"}));
  EXPECT_FALSE(grants.may_publish({"https://example.com/books/1", "https://example.com/books/2"})); // every topic
  EXPECT_FALSE(grants.may_publish({}));
  EXPECT_TRUE(grants.may_receive({"https://example.com/books/2", "https://example.com/users/42"})); // some topic
  EXPECT_FALSE(grants.may_receive({"https://example.com/books/2"}));
  EXPECT_EQ(grants.payload_for(Selector::topic_selector("https://example.com/books/1")),
            R"({"user":"https://example.com/users/42","n":[1,2]})");
}

TEST(MercureGrants, WildcardAndNothing) {
  auto all = grants_of(R"({"mercure": {"publish": ["*"], "subscribe": ["*"], "payload": "just text"}})");
  EXPECT_TRUE(all.may_publish({"urn:anything", "https://example.com/x"}));
  EXPECT_TRUE(all.may_receive({"urn:anything"}));
  EXPECT_EQ(all.payload_for(Selector::topic_selector("urn:anything")), R"("just text")");

  auto none = grants_of(R"({"sub": "someone"})");
  EXPECT_FALSE(none.may_publish({"urn:a"}));
  EXPECT_FALSE(none.may_receive({"urn:a"}));
  EXPECT_EQ(none.payload_for(Selector::topic_selector("urn:a")), "");
  EXPECT_EQ(none.expires, std::nullopt);
  EXPECT_EQ(error_of(R"({"mercure": {"publish": []}})"), "accepted");
}

TEST(MercureGrants, LegacyClaimMustBeWellFormed) {
  EXPECT_EQ(error_of(R"({"mercure": ["*"]})"), "the token's mercure claim must be an object");
  EXPECT_EQ(error_of(R"({"mercure": {"publish": "*"}})"), "the mercure claim's publish must be an array of strings");
  EXPECT_EQ(error_of(R"({"mercure": {"subscribe": ["a", 1]}})"),
            "the mercure claim's subscribe must be an array of strings");
  EXPECT_EQ(error_of(R"({"exp": "later"})"), "the token's \"exp\" is not a time in seconds");
}

TEST(MercureGrants, AuthorizationDetails) {
  auto grants = grants_of(details(detail(R"(["publish", "subscribe"])", R"([{"match": "https://example.com/books/1"}])") +
                                  "," + detail(R"(["subscribe", "delete"])", R"([{"match": "urn:a", "match_type": "exact"}])") +
                                  R"(, {"type": "https://example.com/payment", "actions": 7})"));
  EXPECT_TRUE(grants.may_publish({"https://example.com/books/1"}));
  EXPECT_FALSE(grants.may_publish({"urn:a"}));
  EXPECT_TRUE(grants.may_receive({"urn:a"}));
  EXPECT_TRUE(grants.may_receive({"https://example.com/books/1"}));
  EXPECT_FALSE(grants.may_receive({"urn:b"}));

  // Only unknown actions: a valid detail that grants nothing.
  auto nothing = grants_of(details(detail(R"(["read"])", R"([{"match": "*"}])")));
  EXPECT_FALSE(nothing.may_receive({"urn:a"}));
  EXPECT_FALSE(nothing.may_publish({"urn:a"}));
}

TEST(MercureGrants, BothClaimsAddUp) {
  auto grants = grants_of(R"({"mercure": {"publish": ["urn:old"]}, "authorization_details": [)" +
                          detail(R"(["publish"])", R"([{"match": "urn:new"}])") + "]}");
  EXPECT_TRUE(grants.may_publish({"urn:old", "urn:new"}));
}

TEST(MercureGrants, MalformedDetailRejectsTheToken) {
  auto good = detail(R"(["subscribe"])", R"([{"match": "urn:a"}])");
  auto rejected = [&](const std::string& bad) { return error_of(details(good + "," + bad)); };
  const std::string actions = "a Mercure authorization detail's actions must be a non-empty array of strings";
  const std::string topics =
      "a Mercure authorization detail's topics must be a non-empty array of objects with a string match";
  EXPECT_EQ(rejected(detail("[]", R"([{"match": "urn:a"}])")), actions);
  EXPECT_EQ(rejected(detail(R"("subscribe")", R"([{"match": "urn:a"}])")), actions);
  EXPECT_EQ(rejected(detail(R"(["subscribe", 2])", R"([{"match": "urn:a"}])")), actions);
  EXPECT_EQ(rejected(detail(R"(["subscribe"])", "[]")), topics);
  EXPECT_EQ(rejected(detail(R"(["subscribe"])", R"(["urn:a"])")), topics);
  EXPECT_EQ(rejected(detail(R"(["subscribe"])", R"([{"match": 1}])")), topics);
  EXPECT_EQ(rejected(R"({"type": "https://mercure.rocks/authorization-detail", "actions": ["subscribe"]})"), topics);
  EXPECT_EQ(rejected(detail(R"(["subscribe"])", R"([{"match": "urn:a", "match_type": "regexp"}])")),
            "a Mercure authorization detail's match_type must be \"exact\" or \"urlpattern\"");
  EXPECT_EQ(rejected(detail(R"(["subscribe"])", R"([{"match": "urn:a", "match_type": null}])")),
            "a Mercure authorization detail's match_type must be a string");
  EXPECT_EQ(rejected(detail(R"(["subscribe"])", R"([{"match": "urn:a"}])", R"(, "payload": [1])")),
            "a Mercure authorization detail's payload must be an object");
  EXPECT_EQ(rejected(R"("https://mercure.rocks/authorization-detail")"),
            "each of the token's authorization_details must be an object with a string type");
  EXPECT_EQ(error_of(R"({"authorization_details": {}})"), "the token's authorization_details must be an array");
}

TEST(MercureGrants, Limits) {
  std::string many_topics = "[";
  for (int i = 0; i < 101; ++i) many_topics += std::string(i ? "," : "") + R"({"match": "urn:)" + std::to_string(i) + "\"}";
  EXPECT_EQ(error_of(details(detail(R"(["subscribe"])", many_topics + "]"))),
            "a Mercure authorization detail has more than 100 topics");
  std::string many_details;
  for (int i = 0; i < 101; ++i) many_details += std::string(i ? "," : "") + detail(R"(["subscribe"])", R"([{"match": "*"}])");
  EXPECT_EQ(error_of(details(many_details)), "the token has more than 100 authorization_details");
  many_details.resize(many_details.rfind(",{"));
  EXPECT_EQ(error_of(details(many_details)), "accepted");
}

TEST(MercureGrants, PayloadOfTheFirstMatchingSubscribeDetail) {
  auto grants = grants_of(R"({"mercure": {"payload": {"legacy": true}}, "authorization_details": [)" +
                          detail(R"(["publish"])", R"([{"match": "urn:foo"}])", R"(, "payload": {"publish": 1})") + "," +
                          detail(R"(["subscribe"])", R"([{"match": "urn:foo"}])", R"(, "payload": {"custom1": 1})") + "," +
                          detail(R"(["subscribe"])", R"([{"match": "urn:bare"}])") + "," +
                          detail(R"(["subscribe"])", R"([{"match": "*"}])", R"(, "payload": {"custom3": 3})") + "]}");
  EXPECT_EQ(grants.payload_for(Selector::exact("urn:foo")), R"({"custom1":1})");
  EXPECT_EQ(grants.payload_for(Selector::exact("urn:bare")), ""); // the first match has no payload
  EXPECT_EQ(grants.payload_for(Selector::exact("urn:other")), R"({"custom3":3})"); // "*" as the default

  auto legacy_default = grants_of(R"({"mercure": {"payload": {"legacy": true}}, "authorization_details": [)" +
                                  detail(R"(["subscribe"])", R"([{"match": "urn:foo"}])", R"(, "payload": {"a": 1})") +
                                  "]}");
  EXPECT_EQ(legacy_default.payload_for(Selector::exact("urn:other")), R"({"legacy":true})");
}

TEST(MercureGrants, TemplatesAndUrlPatterns) {
  auto grants = grants_of(R"({"mercure": {"subscribe": ["https://example.com/books/{id}"]}, "authorization_details": [)" +
                          detail(R"(["publish", "subscribe"])",
                                 R"([{"match": "https://example.com/users/:id", "match_type": "urlpattern"}])",
                                 R"(, "payload": {"user": true})") +
                          "]}");
  EXPECT_TRUE(grants.may_receive({"https://example.com/books/7"}));
  EXPECT_FALSE(grants.may_publish({"https://example.com/books/7"}));
  EXPECT_TRUE(grants.may_publish({"https://example.com/users/42"}));
  EXPECT_EQ(grants.payload_for(Selector::url_pattern("https://example.com/users/:id", base_url)), R"({"user":true})");
  EXPECT_EQ(error_of(details(detail(R"(["subscribe"])",
                                    R"j([{"match": "https://example.com/(\\d+)", "match_type": "urlpattern"}])j")))
                .rfind("a Mercure authorization detail's topic is not a valid matcher: ", 0),
            0u);
}
