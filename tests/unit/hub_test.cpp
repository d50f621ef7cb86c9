// Fan-out rules: who gets which event, in which order, how often a stream is woken, and
// what subscribing and unsubscribing while the hub is waking streams does. One shard
// needs no executor: its methods are called here as its thread would call them.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "hub/hub.hpp"

namespace hub = es::hub;

namespace {

using Strings = std::vector<std::string>;

// An event known by its body.
hub::EventPtr event(std::string channel, std::string body) {
  auto made = std::make_shared<hub::Event>();
  made->channel = std::move(channel);
  made->body = std::move(body);
  return made;
}

// One publish call, of one or more requests.
void publish(hub::Hub& shard, const std::vector<std::vector<hub::EventPtr>>& requests) {
  std::vector<hub::EventPtr> events;
  std::vector<std::size_t> request_ends;
  for (const auto& request : requests) {
    events.insert(events.end(), request.begin(), request.end());
    request_ends.push_back(events.size());
  }
  shard.publish(events, request_ends);
}

// A stream as the hub sees it: a mailbox whose wakes are counted, and whose kicks end it
// when the application no longer allows it. `on_wake` and `on_end` are what the test has
// the stream do then.
struct Stream {
  explicit Stream(std::vector<std::string> channels, std::string user = "", std::size_t capacity = 100)
      : subscriber(std::make_shared<hub::Subscriber>(
            std::move(channels), std::move(user), capacity, 1 << 20,
            [this] {
              ++wakes;
              if (on_wake) on_wake();
            },
            [this](const std::string& channel, bool application_allows) {
              rechecked.push_back(channel);
              if (application_allows) return false;
              if (on_end) on_end();
              return true;
            })) {}
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // What the writer would write: everything waiting, until the mailbox is empty.
  Strings received() {
    Strings bodies;
    hub::Subscriber::Batch batch;
    while (subscriber->take(batch)) {
      for (const auto& event : batch.events) bodies.push_back(event->body);
      for (const auto& channel : batch.overflowed) bodies.push_back("overflowed " + channel);
      if (batch.closing) {
        bodies.push_back("closing");
        break;
      }
    }
    return bodies;
  }

  std::shared_ptr<hub::Subscriber> subscriber;
  int wakes = 0;
  Strings rechecked;
  std::function<void()> on_wake;
  std::function<void()> on_end;
};

// One shard, which counts its subscribers.
class Hub : public testing::Test {
protected:
  hub::Hub shard;
};

} // namespace

TEST_F(Hub, FansOutToSubscribersOfTheEventsChannelOnly) {
  Stream on_a({"a"}), on_b({"b"}), also_on_a({"a"});
  for (auto* stream : {&on_a, &on_b, &also_on_a}) shard.subscribe(stream->subscriber);
  publish(shard, {{event("a", "a1"), event("b", "b1"), event("c", "c1")}});
  EXPECT_EQ(on_a.received(), Strings{"a1"});
  EXPECT_EQ(on_b.received(), Strings{"b1"});
  EXPECT_EQ(also_on_a.received(), Strings{"a1"});
}

TEST_F(Hub, KeepsEachChannelsOrder) {
  Stream stream({"a"});
  shard.subscribe(stream.subscriber);
  publish(shard, {{event("a", "1"), event("a", "2")}, {event("a", "3")}});
  publish(shard, {{event("a", "4")}});
  EXPECT_EQ(stream.received(), (Strings{"1", "2", "3", "4"}));
}

TEST_F(Hub, AStreamOnTwoChannelsGetsBothInPublishOrder) {
  Stream stream({"a", "b"});
  shard.subscribe(stream.subscriber);
  publish(shard, {{event("b", "b1"), event("a", "a1")}, {event("b", "b2")}});
  publish(shard, {{event("a", "a2"), event("b", "b3")}});
  EXPECT_EQ(stream.received(), (Strings{"b1", "a1", "b2", "a2", "b3"}));
}

TEST_F(Hub, WakesEachStreamOncePerPublishWithAllOfItQueued) {
  Stream stream({"a", "b"});
  Strings written;
  stream.on_wake = [&] { written = stream.received(); };
  shard.subscribe(stream.subscriber);
  publish(shard, {{event("a", "a1"), event("b", "b1")}, {event("a", "a2")}});
  EXPECT_EQ(stream.wakes, 1);
  EXPECT_EQ(written, (Strings{"a1", "b1", "a2"}));
  publish(shard, {{event("b", "b2")}});
  EXPECT_EQ(stream.wakes, 2);
  EXPECT_EQ(written, Strings{"b2"});
}

TEST_F(Hub, AStreamStillWritingIsNotWokenAgain) {
  Stream stream({"a"});
  shard.subscribe(stream.subscriber);
  publish(shard, {{event("a", "1")}});
  publish(shard, {{event("a", "2")}});
  EXPECT_EQ(stream.wakes, 1);
  EXPECT_EQ(stream.received(), (Strings{"1", "2"}));
  publish(shard, {{event("a", "3")}});
  EXPECT_EQ(stream.wakes, 2);
}

TEST_F(Hub, AWakeMayUnsubscribeItsOwnStream) {
  Stream leaving({"a"}), staying({"a"});
  leaving.on_wake = [&] { shard.unsubscribe(leaving.subscriber); };
  shard.subscribe(leaving.subscriber);
  shard.subscribe(staying.subscriber);
  publish(shard, {{event("a", "1")}});
  EXPECT_EQ(shard.subscribers(), 1u);
  EXPECT_EQ(leaving.received(), Strings{"1"}); // queued before it left
  publish(shard, {{event("a", "2")}});
  EXPECT_EQ(leaving.wakes, 1);
  EXPECT_TRUE(leaving.received().empty());
  EXPECT_EQ(staying.received(), (Strings{"1", "2"}));
}

TEST_F(Hub, AWakeMayDropTheLastReferenceToItsStream) {
  // As a stream that ends does: the hub keeps the mailbox alive until the wake returns.
  Stream leaving({"a"}), staying({"a"});
  leaving.on_wake = [&] { shard.unsubscribe(std::exchange(leaving.subscriber, nullptr)); };
  shard.subscribe(leaving.subscriber);
  shard.subscribe(staying.subscriber);
  publish(shard, {{event("a", "1")}});
  EXPECT_EQ(leaving.wakes, 1);
  EXPECT_EQ(shard.subscribers(), 1u);
  EXPECT_EQ(staying.received(), Strings{"1"});
}

TEST_F(Hub, AWakeMayUnsubscribeAnotherStream) {
  // The other stream is still woken for what this publish queued for it, whichever of
  // the two is woken first.
  Stream ender({"a"}), ended({"a", "b"});
  ender.on_wake = [&] { shard.unsubscribe(ended.subscriber); };
  shard.subscribe(ender.subscriber);
  shard.subscribe(ended.subscriber);
  publish(shard, {{event("a", "1"), event("b", "2")}});
  EXPECT_EQ(shard.subscribers(), 1u);
  EXPECT_EQ(ended.wakes, 1);
  EXPECT_EQ(ended.received(), (Strings{"1", "2"}));
  publish(shard, {{event("a", "3"), event("b", "4")}});
  EXPECT_TRUE(ended.received().empty());
  EXPECT_EQ(ender.received(), (Strings{"1", "3"}));
  EXPECT_EQ(shard.counters.channels.load(), 1u); // b has nobody left
}

TEST_F(Hub, AWakeMaySubscribeANewStreamWhichGetsTheNextPublish) {
  Stream first({"a"}), newcomer({"a", "fresh"});
  first.on_wake = [&] {
    if (shard.subscribers() == 1) shard.subscribe(newcomer.subscriber);
  };
  shard.subscribe(first.subscriber);
  publish(shard, {{event("a", "1")}});
  EXPECT_EQ(shard.subscribers(), 2u);
  EXPECT_EQ(newcomer.wakes, 0);
  EXPECT_TRUE(newcomer.received().empty());
  publish(shard, {{event("a", "2"), event("fresh", "3")}});
  EXPECT_EQ(newcomer.wakes, 1);
  EXPECT_EQ(newcomer.received(), (Strings{"2", "3"}));
  EXPECT_EQ(first.received(), (Strings{"1", "2"}));
}

TEST_F(Hub, UnsubscribeRemovesAStreamFromAllItsChannels) {
  Stream stream({"a", "b"}), stranger({"a"});
  shard.subscribe(stream.subscriber);
  EXPECT_EQ(shard.subscribers(), 1u);
  shard.unsubscribe(stranger.subscriber); // never subscribed: nothing changes
  EXPECT_EQ(shard.subscribers(), 1u);
  shard.unsubscribe(stream.subscriber);
  EXPECT_EQ(shard.subscribers(), 0u);
  publish(shard, {{event("a", "1"), event("b", "2")}});
  EXPECT_EQ(stream.wakes, 0);
  EXPECT_TRUE(stream.received().empty());
}

TEST_F(Hub, CloseAllClosesPresentAndFutureStreams) {
  Stream present({"a", "b"});
  shard.subscribe(present.subscriber);
  publish(shard, {{event("a", "1")}});
  shard.close_all();
  EXPECT_EQ(present.wakes, 1); // still to be woken by the publish: not again
  publish(shard, {{event("a", "2")}});
  EXPECT_EQ(present.received(), (Strings{"1", "closing"}));

  Stream future({"a"});
  shard.subscribe(future.subscriber);
  EXPECT_EQ(future.wakes, 1); // at once, from subscribe
  EXPECT_EQ(future.received(), Strings{"closing"});
  EXPECT_EQ(shard.subscribers(), 1u); // the future stream was never counted
  shard.unsubscribe(future.subscriber);
  EXPECT_EQ(shard.subscribers(), 1u);
}

TEST_F(Hub, CloseAllWakesEachIdleStreamOnce) {
  Stream stream({"a", "b"});
  shard.subscribe(stream.subscriber);
  shard.close_all();
  EXPECT_EQ(stream.wakes, 1);
  EXPECT_EQ(stream.received(), Strings{"closing"});
}

TEST_F(Hub, MissedAllMarksEveryChannelOfEveryStream) {
  Stream both({"a", "b"}), one({"b"});
  shard.subscribe(both.subscriber);
  shard.subscribe(one.subscriber);
  shard.missed_all();
  EXPECT_EQ(both.wakes, 1);
  EXPECT_EQ(one.wakes, 1);
  auto overflowed = both.received();
  std::sort(overflowed.begin(), overflowed.end()); // in the hub's channel order
  EXPECT_EQ(overflowed, (Strings{"overflowed a", "overflowed b"}));
  EXPECT_EQ(one.received(), Strings{"overflowed b"});
}

TEST_F(Hub, KickRechecksOnlyTheUsersStreamsOnTheChannel) {
  Stream alice_a({"a"}, "alice"), alice_b({"b"}, "alice"), alice_ab({"a", "b"}, "alice"), bob_a({"a"}, "bob"),
      anonymous_a({"a"});
  for (auto* stream : {&alice_a, &alice_b, &alice_ab, &bob_a, &anonymous_a}) {
    stream->on_end = [this, stream] { shard.unsubscribe(stream->subscriber); };
    shard.subscribe(stream->subscriber);
  }
  EXPECT_EQ(shard.kick("alice", "a", true), 0u); // still allowed: nothing ends
  EXPECT_EQ(alice_a.rechecked, Strings{"a"});
  EXPECT_EQ(alice_ab.rechecked, Strings{"a"});
  EXPECT_TRUE(alice_b.rechecked.empty());
  EXPECT_TRUE(bob_a.rechecked.empty());
  EXPECT_TRUE(anonymous_a.rechecked.empty());

  // Streams that end unsubscribe while the kick walks them.
  EXPECT_EQ(shard.kick("alice", "a", false), 2u);
  EXPECT_EQ(shard.subscribers(), 3u);
  EXPECT_EQ(shard.kick("alice", "a", false), 0u);
  EXPECT_EQ(shard.kick("alice", "nobody's", false), 0u);
  publish(shard, {{event("a", "1"), event("b", "2")}});
  EXPECT_EQ(bob_a.received(), Strings{"1"});
  EXPECT_EQ(alice_b.received(), Strings{"2"});
  EXPECT_TRUE(alice_ab.received().empty());
}

TEST_F(Hub, CountsDroppedAndChannelsButNotDelivered) {
  Stream slow({"a", "b"}, "", 1), other({"b", "c"});
  shard.subscribe(slow.subscriber);
  EXPECT_EQ(shard.counters.channels.load(), 2u);
  shard.subscribe(other.subscriber);
  EXPECT_EQ(shard.counters.channels.load(), 3u);

  publish(shard, {{event("a", "1")}, {event("a", "2"), event("b", "3")}});
  EXPECT_EQ(shard.counters.dropped.load(), 2u); // the slow stream's 2 and 3; the other got 3
  EXPECT_EQ(slow.received(), (Strings{"1", "overflowed a", "overflowed b"}));
  EXPECT_EQ(other.received(), Strings{"3"});
  EXPECT_EQ(shard.counters.delivered.load(), 0u); // the stream counts what it writes

  shard.unsubscribe(slow.subscriber);
  EXPECT_EQ(shard.counters.channels.load(), 2u);
  shard.unsubscribe(other.subscriber);
  EXPECT_EQ(shard.counters.channels.load(), 0u);
}

// The shards as the publisher sees them, each run by an io_context of the test's.
TEST(Hubs, PublishesReachEveryShardInCallOrder) {
  boost::asio::io_context first, second;
  hub::Hubs hubs({first.get_executor(), second.get_executor()});
  Stream on_first({"a"}), on_second({"a", "b"});
  hubs.local(0).subscribe(on_first.subscriber);
  hubs.local(1).subscribe(on_second.subscriber);
  EXPECT_EQ(hubs.subscriber_count(), 2u);
  EXPECT_EQ(hubs.total(&hub::ShardCounters::channels), 3u);

  hubs.publish({event("a", "1"), event("b", "2")}, {1, 2});
  hubs.publish({event("a", "3")}, {1});
  EXPECT_TRUE(on_first.received().empty()); // posted, not yet run
  first.run();
  second.run();
  EXPECT_EQ(on_first.received(), (Strings{"1", "3"}));
  EXPECT_EQ(on_second.received(), (Strings{"1", "2", "3"}));
  EXPECT_EQ(on_first.wakes, 1); // not drained between the two calls, so woken once
}

// An io_context made for one thread (as the server's are) holds what that thread posts to
// it until the running handler returns, so a publish made on a shard's thread could be
// overtaken by a later publish from another thread. Each shard keeps its own queue instead.
TEST(Hubs, APublishFromAShardsOwnThreadIsNotOvertaken) {
  boost::asio::io_context first{1};
  hub::Hubs hubs({first.get_executor()});
  Stream stream({"a"});
  hubs.local(0).subscribe(stream.subscriber);
  boost::asio::post(first, [&] {
    hubs.publish({event("a", "1")}, {1});
    std::thread([&] { hubs.publish({event("a", "2")}, {1}); }).join();
  });
  first.run();
  EXPECT_EQ(stream.received(), (Strings{"1", "2"}));
}

// A shard without streams is not woken by a publish; once a stream subscribes there, it is.
TEST(Hubs, AShardWithoutStreamsIsSkippedUntilOneSubscribes) {
  boost::asio::io_context first, second;
  hub::Hubs hubs({first.get_executor(), second.get_executor()});
  Stream stream({"a"});
  hubs.local(0).subscribe(stream.subscriber);
  hubs.publish({event("a", "1")}, {1});
  EXPECT_EQ(second.poll(), 0u); // nothing was posted to the empty shard
  second.restart();
  Stream late({"a"});
  hubs.local(1).subscribe(late.subscriber);
  hubs.publish({event("a", "2")}, {1});
  first.run();
  second.run();
  EXPECT_EQ(stream.received(), (Strings{"1", "2"}));
  EXPECT_EQ(late.received(), Strings{"2"});
  hubs.local(1).unsubscribe(late.subscriber);
  hubs.publish({event("a", "3")}, {1});
  second.restart();
  EXPECT_EQ(second.poll(), 0u);
}

TEST(Hubs, KickAnswersOnceWithTheSumOverShards) {
  boost::asio::io_context first, second;
  hub::Hubs hubs({first.get_executor(), second.get_executor()});
  Stream on_first({"a"}, "alice"), on_second({"a"}, "alice");
  hubs.local(0).subscribe(on_first.subscriber);
  hubs.local(1).subscribe(on_second.subscriber);
  std::vector<std::size_t> answers;
  hubs.kick("alice", "a", false, [&](std::size_t ended) { answers.push_back(ended); });
  first.run();
  EXPECT_TRUE(answers.empty()); // one shard has not looked yet
  second.run();
  EXPECT_EQ(answers, std::vector<std::size_t>{2});
}

TEST(Hubs, CloseAllReachesEveryShard) {
  boost::asio::io_context first, second;
  hub::Hubs hubs({first.get_executor(), second.get_executor()});
  Stream on_first({"a"}), on_second({"b"});
  hubs.local(0).subscribe(on_first.subscriber);
  hubs.local(1).subscribe(on_second.subscriber);
  hubs.close_all();
  first.run();
  second.run();
  EXPECT_EQ(on_first.received(), Strings{"closing"});
  EXPECT_EQ(on_second.received(), Strings{"closing"});
}

TEST_F(Hub, TellsItsSourceWhenItGainsAChannelsFirstStreamAndLosesItsLast) {
  struct Told final : hub::ChannelSource {
    Strings told;
    void held(const std::string& channel, bool held) override { told.push_back((held ? "+" : "-") + channel); }
    bool delivered(const std::vector<std::string>&, std::function<void()>) override { return true; }
  } source;
  auto& told = source.told;
  shard.set_source(&source);
  Stream one({"a", "b"}), two({"a"});
  shard.subscribe(one.subscriber);
  shard.subscribe(two.subscriber);
  EXPECT_EQ(told, (Strings{"+a", "+b"}));
  shard.unsubscribe(one.subscriber);
  EXPECT_EQ(told, (Strings{"+a", "+b", "-b"}));
  shard.unsubscribe(two.subscriber);
  EXPECT_EQ(told, (Strings{"+a", "+b", "-b", "-a"}));
}
