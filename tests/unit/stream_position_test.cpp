// The placement and replay rules of a stream's cursors, against the in-memory storage:
// where a stream starts, what it replays, page by page, and when it is reset instead.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "storage/memory_storage.hpp"
#include "stream/stream_position.hpp"

using namespace es;
using namespace es::stream;
using namespace std::chrono_literals;

namespace {

using Sent = std::vector<std::pair<std::string, std::uint64_t>>; // channel, id, in order sent

class Position : public ::testing::Test {
protected:
  void publish(const std::string& channel, int count, storage::Clock::time_point at = storage::Clock::now()) {
    std::vector<storage::NewEvent> events(count, storage::NewEvent{channel, "message", "x"});
    storage.append(events, at);
  }
  StreamPosition stream(std::vector<std::string> channels) {
    return StreamPosition(channels, GlobSet({"stored*", "a", "b", "c"}), true);
  }
  std::vector<std::string> place(StreamPosition& position, const sse::Position& given) {
    return position.place(given, read_ranges(storage, position.stored_channels()));
  }
  // One page, as the stream reads it: what to read, the read, then applying it; the
  // channels reset are added to `reset`.
  Sent page(StreamPosition& position) {
    auto reads = position.next_page();
    auto results = read_page(storage, reads);
    Sent sent;
    position.apply_page(
        reads, results, [&](const Cursor& c, storage::StoredEvent& e) { sent.emplace_back(c.channel, e.id); }, reset);
    return sent;
  }
  Sent replay_all(StreamPosition& position) {
    Sent all;
    while (position.any_behind())
      for (auto& event : page(position)) all.push_back(event);
    return all;
  }
  std::uint64_t delivered(StreamPosition& position, const std::string& channel) {
    return position.cursor(channel).delivered;
  }

  storage::MemoryStorage storage{1000};
  std::vector<std::string> reset; // by the pages read so far
};

Sent ids(const std::string& channel, std::uint64_t from, std::uint64_t to) {
  Sent sent;
  for (auto id = from; id <= to; ++id) sent.emplace_back(channel, id);
  return sent;
}

} // namespace

TEST_F(Position, WithoutLastIdStartsAtTheHead) {
  publish("a", 3);
  auto position = stream({"a"});
  EXPECT_TRUE(place(position, {}).empty());
  EXPECT_EQ(delivered(position, "a"), 3u);
  EXPECT_FALSE(position.any_behind());
  EXPECT_TRUE(position.next_page().empty());
}

TEST_F(Position, ResumingAtTheHeadHasNothingToReplay) {
  publish("a", 3);
  auto position = stream({"a"});
  EXPECT_TRUE(place(position, {{"a", 3}}).empty());
  EXPECT_FALSE(position.any_behind());
}

TEST_F(Position, ResumingReplaysWhatFollowsTheLastId) {
  publish("a", 5);
  auto position = stream({"a"});
  EXPECT_TRUE(place(position, {{"a", 2}}).empty());
  EXPECT_TRUE(position.any_behind());
  EXPECT_EQ(page(position), ids("a", 3, 5));
  EXPECT_TRUE(reset.empty());
  EXPECT_FALSE(position.any_behind());
  EXPECT_EQ(delivered(position, "a"), 5u);
}

TEST_F(Position, AnIdFromTheFutureResetsToTheHead) {
  publish("a", 5);
  auto position = stream({"a", "b"});
  // "b" was never published to: any id of it is from the future.
  EXPECT_EQ(place(position, {{"a", 9}, {"b", 1}}), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(delivered(position, "a"), 5u);
  EXPECT_EQ(delivered(position, "b"), 0u);
  EXPECT_FALSE(position.any_behind());
}

TEST_F(Position, AnIdWhoseSuccessorWasTrimmedResetsToTheHead) {
  storage::MemoryStorage small(3); // keeps ids 3..5 of 5
  std::vector<storage::NewEvent> five(5, storage::NewEvent{"a", "message", "x"});
  small.append(five, storage::Clock::now());
  auto position = stream({"a"});
  EXPECT_EQ(position.place({{"a", 1}}, read_ranges(small, {"a"})), std::vector<std::string>{"a"});
  EXPECT_EQ(delivered(position, "a"), 5u);

  auto resumable = stream({"a"}); // the event after 2 is still there
  EXPECT_TRUE(resumable.place({{"a", 2}}, read_ranges(small, {"a"})).empty());
  EXPECT_TRUE(resumable.any_behind());
}

TEST_F(Position, ChannelsNotStoredHaveNoPosition) {
  publish("a", 2);
  auto position = stream({"a", "live"});
  EXPECT_EQ(position.stored_channels(), std::vector<std::string>{"a"});
  EXPECT_EQ(position.stored_count(), 1u);
  EXPECT_TRUE(place(position, {{"a", 1}, {"live", 7}}).empty());
  EXPECT_FALSE(position.cursor("live").behind);
  std::string id;
  position.append_id_line(id);
  EXPECT_EQ(id, "id: a:1\n");
}

TEST_F(Position, ALongReplayComesInPagesWithoutDuplicateOrGap) {
  publish("a", 250);
  auto position = stream({"a"});
  place(position, {{"a", 10}});
  EXPECT_EQ(page(position).size(), 100u);
  EXPECT_TRUE(position.any_behind());
  publish("a", 5); // published meanwhile: replayed too
  EXPECT_EQ(replay_all(position), ids("a", 111, 255));
  EXPECT_TRUE(reset.empty());
  EXPECT_EQ(delivered(position, "a"), 255u);
}

TEST_F(Position, AFullPageThatReachesTheHeadEndsTheReplay) {
  publish("a", 100);
  auto position = stream({"a"});
  place(position, {{"a", 0}});
  EXPECT_EQ(page(position).size(), 100u);
  EXPECT_FALSE(position.any_behind());
}

// The stream reads a page on a reader thread while its mailbox goes on: an event
// committed after the read is offered by the mailbox and skipped (storage serves it), so
// the page that would have caught up leaves the cursor behind for it.
TEST_F(Position, AnEventOfferedWhileTheLastPageWasReadIsReadNext) {
  publish("a", 150);
  auto position = stream({"a"});
  place(position, {{"a", 0}});
  EXPECT_EQ(page(position).size(), 100u);
  auto reads = position.next_page();
  auto results = read_page(storage, reads);
  publish("a", 1); // id 151, after the read
  position.cursor("a").offered = 151;
  Sent sent;
  position.apply_page(
      reads, results, [&](const Cursor& c, storage::StoredEvent& e) { sent.emplace_back(c.channel, e.id); }, reset);
  EXPECT_EQ(sent, ids("a", 101, 150));
  EXPECT_TRUE(position.any_behind());
  EXPECT_EQ(replay_all(position), ids("a", 151, 151));
  EXPECT_TRUE(reset.empty());
}

TEST_F(Position, AnEventOfferedAndAlreadyInThePageAddsNoRead) {
  publish("a", 150);
  auto position = stream({"a"});
  place(position, {{"a", 0}});
  page(position);
  position.cursor("a").offered = 150;
  EXPECT_EQ(page(position), ids("a", 101, 150));
  EXPECT_FALSE(position.any_behind());
}

TEST_F(Position, APageIsSharedByTheChannelsBehind) {
  for (auto channel : {"a", "b", "c"}) publish(channel, 200);
  auto position = stream({"a", "b", "c"});
  place(position, {{"a", 0}, {"b", 0}, {"c", 200}}); // c is at its head
  auto reads = position.next_page();
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].channel, "a");
  EXPECT_EQ(reads[0].limit, 50u);
  EXPECT_EQ(reads[1].channel, "b");
  EXPECT_EQ(reads[1].limit, 50u);

  auto sent = page(position);
  Sent expected = ids("a", 1, 50);
  for (auto& event : ids("b", 1, 50)) expected.push_back(event);
  EXPECT_EQ(sent, expected);
  EXPECT_TRUE(position.any_behind());
  EXPECT_EQ(replay_all(position).size(), 300u);
  EXPECT_EQ(delivered(position, "a"), 200u);
  EXPECT_EQ(delivered(position, "b"), 200u);
}

TEST_F(Position, EveryChannelBehindGetsAtLeastOneEventAPage) {
  std::vector<std::string> channels;
  sse::Position given;
  for (int i = 0; i < 150; ++i) {
    channels.push_back("stored" + std::to_string(i));
    publish(channels.back(), 2);
    given.emplace_back(channels.back(), 0);
  }
  auto position = stream(channels);
  place(position, given);
  auto reads = position.next_page();
  ASSERT_EQ(reads.size(), 150u);
  for (const auto& read : reads) EXPECT_EQ(read.limit, 1u);
}

TEST_F(Position, EventsTrimmedWhileBehindResetToTheHead) {
  auto old = storage::Clock::now() - 1h;
  publish("a", 3, old);
  publish("a", 2); // ids 4, 5
  auto position = stream({"a"});
  place(position, {{"a", 1}});
  ASSERT_TRUE(position.any_behind());
  storage.trim(storage::Clock::now() - 1min, 100); // 1..3 go: the next page starts at 4, a gap
  EXPECT_TRUE(page(position).empty());
  EXPECT_EQ(reset, std::vector<std::string>{"a"});
  EXPECT_EQ(delivered(position, "a"), 5u);
  EXPECT_FALSE(position.any_behind());
}

TEST_F(Position, EverythingTrimmedWhileBehindResetsToTheHead) {
  publish("a", 3, storage::Clock::now() - 1h);
  auto position = stream({"a"});
  place(position, {{"a", 1}});
  storage.trim(storage::Clock::now(), 100); // nothing is left to read
  EXPECT_TRUE(page(position).empty());
  EXPECT_EQ(reset, std::vector<std::string>{"a"});
  EXPECT_EQ(delivered(position, "a"), 3u);
}

TEST_F(Position, OnlyTheTrimmedChannelIsReset) {
  publish("a", 3, storage::Clock::now() - 1h);
  publish("b", 3);
  auto position = stream({"a", "b"});
  place(position, {{"a", 1}, {"b", 1}});
  storage.trim(storage::Clock::now() - 1min, 100);
  EXPECT_EQ(page(position), ids("b", 2, 3));
  EXPECT_EQ(reset, std::vector<std::string>{"a"});
  std::string id;
  position.append_position(id);
  EXPECT_EQ(id, "a:3,b:3");
}
