#include <gtest/gtest.h>

#include "sse/event_id.hpp"

using namespace es::sse;

TEST(EventId, FormatsPercentEncodedPairs) {
  EXPECT_EQ(format_position({{"a", 3}, {"b", 7}}), "a:3,b:7");
  // The reference's quote(): '/' stays, the rest of the reserved set is escaped.
  EXPECT_EQ(format_position({{"a b", 1}, {"x:y", 2}, {"c,d", 0}, {"\xC3\xA9", 4}, {"p/q", 5}, {"100%", 6}}),
            "a%20b:1,x%3Ay:2,c%2Cd:0,%C3%A9:4,p/q:5,100%25:6");
}

TEST(EventId, ParsesWhatItFormats) {
  auto parsed = parse_last_id("a%20b:1,x%3Ay:2,p/q:0");
  ASSERT_TRUE(std::holds_alternative<Position>(parsed));
  EXPECT_EQ(std::get<Position>(parsed), (Position{{"a b", 1}, {"x:y", 2}, {"p/q", 0}}));
}

TEST(EventId, SpecialAndBadIds) {
  EXPECT_TRUE(std::holds_alternative<NoLastId>(parse_last_id("")));
  EXPECT_TRUE(std::holds_alternative<AfterStreamError>(parse_last_id("error")));
  for (const char* bad : {"test", "test:abc", "test:-1", ":5", "a:1,", "a:1,,b:2", "test:1.5", "t:99999999999999999999"})
    EXPECT_TRUE(std::holds_alternative<BadLastId>(parse_last_id(bad))) << bad;
}
