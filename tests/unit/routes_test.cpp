#include <gtest/gtest.h>

#include "http/routes.hpp"

using namespace es;
using es::http::Route;

namespace {
using Channels = std::vector<std::string>;
}

TEST(Routes, QueryChannelsCollapseDuplicatesAndDropEmpty) {
  auto route = Route::parse("/events/");
  auto channels = route.match("/events/", parse_query("channel=a&channel=b&channel=a&channel="));
  ASSERT_TRUE(channels);
  EXPECT_EQ(*channels, (Channels{"a", "b"}));
  EXPECT_FALSE(route.match("/events", {}));
  EXPECT_FALSE(route.match("/events/x/", {}));
}

TEST(Routes, FixedChannelsIgnoreTheQuery) {
  auto route = Route::parse("/foo/events/=foo,bar");
  EXPECT_EQ(*route.match("/foo/events/", parse_query("channel=zzz")), (Channels{"foo", "bar"}));
}

TEST(Routes, PathPlaceholderNamesTheChannel) {
  auto route = Route::parse("/events/{channel}/");
  EXPECT_EQ(*route.match("/events/room 1/", parse_query("channel=other")), (Channels{"room 1"}));
  EXPECT_FALSE(route.match("/events//", {}));
}

TEST(Routes, ChannelsFormattedFromThePath) {
  auto route = Route::parse("/objects/{obj_id}/events/=object-{obj_id},all");
  EXPECT_EQ(*route.match("/objects/42/events/", {}), (Channels{"object-42", "all"}));
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
  http::RouteTable table({Route::parse("/fixed/events/=test"), Route::parse("/events/")});
  EXPECT_EQ(table.match("/fixed/events/", {})->channels, (Channels{"test"}));
  EXPECT_EQ(table.match("/events/", parse_query("channel=q"))->route->spec(), "/events/");
  EXPECT_FALSE(table.match("/nope/", {}));
}
