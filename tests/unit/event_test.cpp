#include <gtest/gtest.h>

#include "hub/event.hpp"

using es::hub::make_encoded_event;
using es::hub::make_event;

TEST(Event, AStoredEventCarriesItsOneChannelIdLine) {
  auto event = make_event("room 1", 42, "message", "{\"a\":1}", {"alice"});
  EXPECT_EQ(event->channel, "room 1");
  EXPECT_EQ(event->id, 42u);
  EXPECT_EQ(event->head, "event: message\n");
  EXPECT_EQ(event->id_line, "id: room%201:42\n");
  EXPECT_EQ(event->body, "data: {\"a\":1}\n\n");
  EXPECT_EQ(event->skip_users, std::vector<std::string>{"alice"});
}

TEST(Event, ALiveOnlyEventHasNoIdLine) {
  auto event = make_event("live", 0, "tick", "1", {});
  EXPECT_EQ(event->id_line, "");
  EXPECT_EQ(event->head + event->body, "event: tick\ndata: 1\n\n");
}

TEST(Event, TheEncodedPartsGiveTheSameEvent) {
  auto original = make_event("a:b", 7, "t", "line one\nline two", {"bob"});
  auto again = make_encoded_event(original->channel, original->id, original->head, original->body, original->skip_users);
  EXPECT_EQ(again->head + again->id_line + again->body, original->head + original->id_line + original->body);
  EXPECT_EQ(again->id_line, "id: a%3Ab:7\n");
}
