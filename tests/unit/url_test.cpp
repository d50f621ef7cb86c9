#include <gtest/gtest.h>

#include "util/url.hpp"

using namespace es;

TEST(Url, QueryKeepsRepeatedKeysAndDecodes) {
  auto q = parse_query("channel=a&channel=b+c&channel=d%2Fe&x&&lastEventId=");
  EXPECT_EQ(query_values(q, "channel"), (std::vector<std::string>{"a", "b c", "d/e"}));
  EXPECT_EQ(query_values(q, "x"), (std::vector<std::string>{""}));
  EXPECT_EQ(query_values(q, "lastEventId"), (std::vector<std::string>{""}));
}

TEST(Url, PercentDecodingKeepsMalformedEscapes) {
  EXPECT_EQ(percent_decode("a%2"), "a%2");
  EXPECT_EQ(percent_decode("%zz%41"), "%zzA");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
}

TEST(Url, TargetSplitsAndDecodesPath) {
  auto t = split_target("/events/a%20b/?channel=x");
  EXPECT_EQ(t.path, "/events/a b/");
  EXPECT_EQ(t.query, "channel=x");
  EXPECT_EQ(split_target("/healthz").query, "");
}

TEST(Url, RedactedTargetHidesCredentialsAndKeepsTheRest) {
  EXPECT_EQ(redacted_target("/events/?channel=x&token=SECRET&lastEventId=x:3"),
            "/events/?channel=x&token=REDACTED&lastEventId=x:3");
  EXPECT_EQ(redacted_target("/events/?es-meta=abc.def&channel=x"), "/events/?es-meta=REDACTED&channel=x");
  EXPECT_EQ(redacted_target("/?access_token=a&API_KEY=b&Password=c&sig=d"),
            "/?access_token=REDACTED&API_KEY=REDACTED&Password=REDACTED&sig=REDACTED");
}

TEST(Url, RedactedTargetMatchesNamesAsTheServerReadsThem) {
  // parse_query() decodes keys, so "tok%65n" is read as token: it is hidden as well.
  EXPECT_EQ(redacted_target("/events/?tok%65n=SECRET"), "/events/?tok%65n=REDACTED");
  EXPECT_EQ(redacted_target("/events/?token=a&token=b"), "/events/?token=REDACTED&token=REDACTED");
  EXPECT_EQ(redacted_target("/events/?channel=x&&token=S&"), "/events/?channel=x&&token=REDACTED&");
}

TEST(Url, RedactedTargetLeavesWhatHoldsNoCredential) {
  EXPECT_EQ(redacted_target("/healthz"), "/healthz");
  EXPECT_EQ(redacted_target("/events/token/?"), "/events/token/?");
  EXPECT_EQ(redacted_target("/events/?token&token=&tokens=x&channel=token"),
            "/events/?token&token=&tokens=x&channel=token");
}

TEST(Url, RedactedUrlHidesThePasswordAndCredentialParameters) {
  EXPECT_EQ(redacted_url("http://webuser:hunter2@127.0.0.1:1/check?api_key=K&x=1"),
            "http://REDACTED@127.0.0.1:1/check?api_key=REDACTED&x=1");
  EXPECT_EQ(redacted_url("redis://:hunter2@127.0.0.1:notaport"), "redis://REDACTED@127.0.0.1:notaport");
  EXPECT_EQ(redacted_url("http://127.0.0.1:5561/?iss=a&key=base64:S2V5&verify-key=V"),
            "http://127.0.0.1:5561/?iss=a&key=REDACTED&verify-key=REDACTED");
  EXPECT_EQ(redacted_url("unix:///run/redis.sock?db=2"), "unix:///run/redis.sock?db=2");
  EXPECT_EQ(redacted_url("http://example.com"), "http://example.com");
}
