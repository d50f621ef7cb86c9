#include <gtest/gtest.h>

#include "stream/routes.hpp"

using namespace es;
using es::stream::Route;

namespace {
using Channels = std::vector<std::string>;
constexpr std::size_t no_limit = 1000;
}

TEST(Routes, QueryChannelsCollapseDuplicatesAndDropEmpty) {
  auto route = Route::parse("/events/");
  auto channels = route.match("/events/", parse_query("channel=a&channel=b&channel=a&channel="), no_limit);
  ASSERT_TRUE(channels);
  EXPECT_EQ(*channels, (Channels{"a", "b"}));
  EXPECT_FALSE(route.match("/events", {}, no_limit));
  EXPECT_FALSE(route.match("/events/x/", {}, no_limit));
}

TEST(Routes, FixedChannelsIgnoreTheQuery) {
  auto route = Route::parse("/foo/events/=foo,bar");
  EXPECT_EQ(*route.match("/foo/events/", parse_query("channel=zzz"), no_limit), (Channels{"foo", "bar"}));
}

TEST(Routes, PathPlaceholderNamesTheChannel) {
  auto route = Route::parse("/events/{channel}/");
  EXPECT_EQ(*route.match("/events/room 1/", parse_query("channel=other"), no_limit), (Channels{"room 1"}));
  EXPECT_FALSE(route.match("/events//", {}, no_limit));
}

TEST(Routes, ChannelsFormattedFromThePath) {
  auto route = Route::parse("/objects/{obj_id}/events/=object-{obj_id},all");
  EXPECT_EQ(*route.match("/objects/42/events/", {}, no_limit), (Channels{"object-42", "all"}));
}

TEST(Routes, BadSpecsAreRefusedWithAReason) {
  for (const char* bad : {"events/", "/a/{x/", "/a/b{x}/", "/a/{x}/=c-{y}", "/a/=", "/a/=x,,y", "/a/{x}/=c-{x"}) {
    try {
      Route::parse(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(Routes, TableTriesRoutesInOrder) {
  stream::RouteTable table({Route::parse("/fixed/events/=test"), Route::parse("/events/")}, no_limit);
  EXPECT_EQ(table.match("/fixed/events/", {})->channels, (Channels{"test"}));
  EXPECT_EQ(table.match("/events/", parse_query("channel=q"))->route->spec(), "/events/");
  EXPECT_FALSE(table.match("/nope/", {}));
}

TEST(Routes, DuplicatesCollapseInTheOrderFirstGiven) {
  auto route = Route::parse("/events/");
  EXPECT_EQ(*route.match("/events/", parse_query("channel=c&channel=a&channel=c&channel=b&channel=a"), no_limit),
            (Channels{"c", "a", "b"}));
  auto fixed = Route::parse("/{x}/=all,{x},all");
  EXPECT_EQ(*fixed.match("/all/", {}, no_limit), (Channels{"all"}));
}

// 60,000 channels took seconds of an I/O thread when each was compared with every other.
TEST(Routes, CollectingStopsOneChannelPastTheLimit) {
  std::string query;
  for (int i = 0; i < 60000; ++i) query += "channel=c" + std::to_string(i % 30000) + "&";
  auto route = Route::parse("/events/");
  EXPECT_EQ(*route.match("/events/", parse_query("channel=a&channel=a&channel=b&channel=c&channel=d"), 2),
            (Channels{"a", "b", "c"}));
  EXPECT_EQ(route.match("/events/", parse_query(query), 10)->size(), 11u);
  EXPECT_EQ(route.match("/events/", parse_query(query), 100000)->size(), 30000u);

  stream::RouteTable table({route}, 3);
  EXPECT_EQ(table.match("/events/", parse_query(query))->channels, (Channels{"c0", "c1", "c2", "c3"}));
  EXPECT_EQ(table.match("/events/", parse_query("channel=a&channel=a"))->channels, (Channels{"a"}));
}
