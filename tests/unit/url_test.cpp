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
