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
  interest.held("a", true);
  interest.held("a", true);
  interest.take(ChannelInterest::Clock::now());
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
  interest.held("a", true);
  interest.take(ChannelInterest::Clock::now());
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
  interest.held("a", true);
  interest.held("b", true);
  interest.take(ChannelInterest::Clock::now());
  interest.held("b", false); // lingering
  interest.held("c", true);  // not taken yet
  auto again = interest.subscribe_again();
  std::sort(again.begin(), again.end());
  EXPECT_EQ(again, (Strings{"a", "b", "c"}));
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
  interest.connected(true);
  interest.held("b", true);
  EXPECT_FALSE(interest.delivered({"a", "b"}, count));
  interest.take(ChannelInterest::Clock::now());
  interest.confirmed("a");
  EXPECT_EQ(ready, 0);
  interest.confirmed("b");
  EXPECT_EQ(ready, 1);
  EXPECT_TRUE(interest.delivered({"a", "b"}, count)); // confirmed: no wait
  interest.confirmed("b");
  EXPECT_EQ(ready, 1);
}

TEST(ChannelInterest, ALostConnectionReleasesEveryWaitingStream) {
  ChannelInterest interest(3s);
  int ready = 0;
  interest.connected(true);
  interest.held("a", true);
  EXPECT_FALSE(interest.delivered({"a"}, [&] { ++ready; }));
  EXPECT_FALSE(interest.delivered({"a"}, [&] { ++ready; }));
  interest.connected(false);
  EXPECT_EQ(ready, 2);
  interest.confirmed("a"); // a late answer runs nothing twice
  EXPECT_EQ(ready, 2);
  // Confirmations on the next connection are new: until then, no wait.
  EXPECT_TRUE(interest.delivered({"a"}, [&] { ++ready; }));
  interest.subscribe_again();
  interest.confirmed("a");
  interest.connected(true);
  EXPECT_TRUE(interest.delivered({"a"}, [&] { ++ready; }));
}

TEST(ChannelInterest, AKeptChannelIsNeverLetGo) {
  ChannelInterest interest(3s);
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
