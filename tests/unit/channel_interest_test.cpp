// Which Redis channels an instance subscribes to and lets go of, as its shards gain and
// lose channels' streams.
#include <gtest/gtest.h>

#include <poll.h>

#include <algorithm>

#include "redis/channel_interest.hpp"

using es::redis::ChannelInterest;
using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

namespace {

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

} // namespace

TEST(ChannelInterest, SubscribesOnceWhenTheFirstShardHoldsAChannel) {
  ChannelInterest interest(3s);
  interest.subscribe_again(); // connected
  EXPECT_FALSE(interest.fresh());
  interest.held("a", true);
  interest.held("a", true); // a second shard
  interest.held("b", true);
  EXPECT_TRUE(interest.fresh());
  EXPECT_TRUE(readable(interest.wake_fd()));
  auto changes = interest.take(ChannelInterest::Clock::now());
  EXPECT_EQ(changes.subscribe, (Strings{"a", "b"}));
  EXPECT_TRUE(changes.unsubscribe.empty());
  EXPECT_FALSE(interest.fresh());
  EXPECT_FALSE(readable(interest.wake_fd()));
  EXPECT_TRUE(interest.take(ChannelInterest::Clock::now()).subscribe.empty());
}

TEST(ChannelInterest, LetsAChannelGoOnlyAfterTheLingerWithNoShardHoldingIt) {
  ChannelInterest interest(3s);
  interest.subscribe_again(); // connected
  interest.held("a", true);
  interest.held("a", true);
  interest.take(ChannelInterest::Clock::now());
  interest.confirmed("a");
  interest.held("a", false);
  EXPECT_TRUE(interest.take(ChannelInterest::Clock::now() + 10s).unsubscribe.empty()); // one shard still holds it
  interest.held("a", false);
  auto now = ChannelInterest::Clock::now();
  EXPECT_TRUE(interest.take(now + 1s).unsubscribe.empty());
  EXPECT_EQ(interest.take(now + 4s).unsubscribe, Strings{"a"});
  EXPECT_TRUE(interest.take(now + 8s).unsubscribe.empty());
}

TEST(ChannelInterest, AChannelHeldAgainWithinTheLingerStaysSubscribed) {
  ChannelInterest interest(3s);
  interest.subscribe_again(); // connected
  interest.held("a", true);
  interest.take(ChannelInterest::Clock::now());
  interest.confirmed("a");
  interest.held("a", false);
  interest.held("a", true); // the client reconnected
  auto changes = interest.take(ChannelInterest::Clock::now() + 10s);
  EXPECT_TRUE(changes.subscribe.empty()); // still subscribed: no command, no gap
  EXPECT_TRUE(changes.unsubscribe.empty());
  // Let go again: the later release decides.
  interest.held("a", false);
  auto now = ChannelInterest::Clock::now();
  EXPECT_TRUE(interest.take(now + 1s).unsubscribe.empty());
  EXPECT_EQ(interest.take(now + 4s).unsubscribe, Strings{"a"});
}

TEST(ChannelInterest, AChannelLetGoBeforeItWasSubscribedNeedsNoCommand) {
  ChannelInterest interest(3s);
  interest.held("a", true);
  interest.held("a", false);
  auto changes = interest.take(ChannelInterest::Clock::now() + 4s);
  EXPECT_TRUE(changes.subscribe.empty());
  EXPECT_TRUE(changes.unsubscribe.empty());
}

TEST(ChannelInterest, AFreshConnectionSubscribesEverythingHeldOrLingering) {
  ChannelInterest interest(3s);
  interest.subscribe_again(); // connected
  interest.held("a", true);
  interest.held("b", true);
  interest.take(ChannelInterest::Clock::now());
  interest.held("b", false); // lingering
  interest.held("c", true);  // not taken yet
  auto again = interest.subscribe_again();
  std::sort(again.begin(), again.end());
  EXPECT_EQ(again, (Strings{"a", "b", "c"}));
  for (const auto& channel : again) interest.confirmed(channel);
  auto now = ChannelInterest::Clock::now();
  auto changes = interest.take(now + 4s);
  EXPECT_TRUE(changes.subscribe.empty()); // c went with the others
  EXPECT_EQ(changes.unsubscribe, Strings{"b"});
}

TEST(ChannelInterest, AStreamWaitsForItsChannelsSubscriptionsOnlyWhileConnected) {
  ChannelInterest interest(3s);
  int ready = 0;
  auto count = [&] { ++ready; };
  interest.held("a", true);
  EXPECT_TRUE(interest.delivered({"a"}, count)); // no connection: the reconnection catches it up
  EXPECT_TRUE(interest.unwaited());
  EXPECT_FALSE(interest.unwaited());
  EXPECT_EQ(interest.subscribe_again(), Strings{"a"});
  interest.held("b", true);
  EXPECT_FALSE(interest.delivered({"a", "b"}, count));
  EXPECT_EQ(interest.take(ChannelInterest::Clock::now()).subscribe, Strings{"b"});
  interest.confirmed("a");
  EXPECT_EQ(ready, 0);
  interest.confirmed("b");
  EXPECT_EQ(ready, 1);
  EXPECT_TRUE(interest.delivered({"a", "b"}, count)); // confirmed: no wait
  interest.confirmed("b");
  EXPECT_EQ(ready, 1);
  EXPECT_FALSE(interest.unwaited());
}

TEST(ChannelInterest, ALostConnectionReleasesEveryWaitingStream) {
  ChannelInterest interest(3s);
  int ready = 0;
  interest.subscribe_again();
  interest.held("a", true);
  EXPECT_FALSE(interest.delivered({"a"}, [&] { ++ready; }));
  EXPECT_FALSE(interest.delivered({"a"}, [&] { ++ready; }));
  interest.disconnected();
  EXPECT_EQ(ready, 2);
  interest.confirmed("a"); // a late answer runs nothing twice
  EXPECT_EQ(ready, 2);
  // Until the next connection's snapshot, no wait.
  EXPECT_TRUE(interest.delivered({"a"}, [&] { ++ready; }));
  interest.subscribe_again();
  EXPECT_FALSE(interest.delivered({"a"}, [&] { ++ready; })); // answers on the new connection are new
  interest.confirmed("a");
  EXPECT_EQ(ready, 3);
}

TEST(ChannelInterest, AWaitingStreamThatLeftIsEndedNotDropped) {
  ChannelInterest interest(3s);
  int ready = 0;
  interest.subscribe_again();
  interest.held("a", true);
  EXPECT_FALSE(interest.delivered({"a"}, [&] { ++ready; }));
  interest.held("a", false); // not even sent yet: the entry goes, its waiter is run
  EXPECT_EQ(ready, 1);
}

TEST(ChannelInterest, AnUnansweredSubscriptionIsNotLetGoAndIsOverdue) {
  ChannelInterest interest(3s);
  interest.subscribe_again();
  interest.held("a", true);
  auto now = ChannelInterest::Clock::now();
  interest.take(now);
  EXPECT_FALSE(interest.overdue(now + 4s, 5s));
  EXPECT_TRUE(interest.overdue(now + 6s, 5s));
  interest.held("a", false);
  EXPECT_TRUE(interest.take(now + 10s).unsubscribe.empty()); // its answer would be taken for the next one's
  interest.confirmed("a");
  EXPECT_FALSE(interest.overdue(now + 20s, 5s));
  EXPECT_EQ(interest.take(now + 20s).unsubscribe, Strings{"a"});
}

TEST(ChannelInterest, AKeptChannelIsNeverLetGo) {
  ChannelInterest interest(3s);
  interest.subscribe_again(); // connected
  interest.keep("updates");
  EXPECT_EQ(interest.take(ChannelInterest::Clock::now()).subscribe, Strings{"updates"});
  interest.held("updates", true);
  interest.held("updates", false);
  EXPECT_TRUE(interest.take(ChannelInterest::Clock::now() + 10s).unsubscribe.empty());
}

TEST(ChannelInterest, ChurnBeforeASubscriptionIsSentLeavesNothingBehind) {
  ChannelInterest interest(3s);
  for (int i = 0; i < 1000; ++i) {
    interest.held("c" + std::to_string(i), true);
    interest.held("c" + std::to_string(i), false);
  }
  auto changes = interest.take(ChannelInterest::Clock::now() + 10s);
  EXPECT_TRUE(changes.subscribe.empty());
  EXPECT_TRUE(changes.unsubscribe.empty());
  EXPECT_TRUE(interest.subscribe_again().empty());
}

TEST(ChannelInterest, AnOutageForgetsWhatNoStreamHoldsAndCatchesUpWhoWaited) {
  ChannelInterest interest(3s);
  interest.subscribe_again();
  interest.held("a", true);
  interest.held("b", true);
  interest.take(ChannelInterest::Clock::now());
  interest.confirmed("a");
  interest.confirmed("b");
  interest.held("b", false); // lingering
  interest.held("c", true);
  EXPECT_FALSE(interest.delivered({"c"}, [] {}));
  interest.disconnected();
  EXPECT_TRUE(interest.unwaited()); // c's stream went on without its subscription
  interest.held("d", true);
  interest.held("d", false); // during the outage: nothing to take back
  auto changes = interest.take(ChannelInterest::Clock::now() + 10s);
  EXPECT_TRUE(changes.subscribe.empty());
  EXPECT_TRUE(changes.unsubscribe.empty());
  auto again = interest.subscribe_again();
  std::sort(again.begin(), again.end());
  EXPECT_EQ(again, (Strings{"a", "c"}));
}
