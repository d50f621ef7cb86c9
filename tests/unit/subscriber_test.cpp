// The mailbox rules: what a stream's mailbox accepts, what it drops and remembers, and
// when it wakes its writer. Publish requests are told apart by their number, as the hub
// numbers them.
#include <gtest/gtest.h>

#include "hub/subscriber.hpp"

namespace hub = es::hub;

namespace {

// An event whose size in the mailbox is the size of `body` (no head, no id line).
hub::EventPtr event(std::string channel, std::string body) {
  auto made = std::make_shared<hub::Event>();
  made->channel = std::move(channel);
  made->body = std::move(body);
  return made;
}

hub::Subscriber mailbox(std::size_t capacity, std::size_t capacity_bytes = 1 << 20) {
  return hub::Subscriber({"a", "b"}, "", capacity, capacity_bytes, [] {}, [](const std::string&, bool) { return false; });
}

std::vector<std::string> bodies(const hub::Subscriber::Batch& batch) {
  std::vector<std::string> out;
  for (const auto& event : batch.events) out.push_back(event->body);
  return out;
}

using Strings = std::vector<std::string>;

} // namespace

TEST(Subscriber, OneRequestReachesASubscriberThatKeepsUpWhole) {
  auto box = mailbox(2);
  for (const char* body : {"1", "2", "3", "4", "5"}) EXPECT_FALSE(box.offer(event("a", body), 1).dropped);
  hub::Subscriber::Batch batch;
  ASSERT_TRUE(box.take(batch));
  EXPECT_EQ(bodies(batch), (Strings{"1", "2", "3", "4", "5"}));
  EXPECT_TRUE(batch.overflowed.empty());
}

TEST(Subscriber, BoundByCountIsCheckedOncePerRequest) {
  auto box = mailbox(2);
  EXPECT_FALSE(box.offer(event("a", "1"), 1).dropped);
  EXPECT_FALSE(box.offer(event("a", "2"), 2).dropped); // 1 waiting: below the bound
  EXPECT_TRUE(box.offer(event("a", "3"), 3).dropped);  // 2 waiting: full
  EXPECT_TRUE(box.offer(event("a", "4"), 3).dropped);  // the rest of that request too
  hub::Subscriber::Batch batch;
  ASSERT_TRUE(box.take(batch));
  EXPECT_EQ(bodies(batch), (Strings{"1", "2"}));
  EXPECT_EQ(batch.overflowed, Strings{"a"});
}

TEST(Subscriber, BoundByBytesCountsHeadIdLineAndBody) {
  auto box = mailbox(100, 10);
  auto six_bytes = std::make_shared<hub::Event>(hub::Event{"a", 1, "e\n", "i\n", "d\n", {}, nullptr});
  EXPECT_FALSE(box.offer(six_bytes, 1).dropped);
  EXPECT_FALSE(box.offer(six_bytes, 2).dropped); // 6 bytes waiting: below 10
  EXPECT_TRUE(box.offer(six_bytes, 3).dropped);  // 12 bytes waiting: full
  hub::Subscriber::Batch batch;
  ASSERT_TRUE(box.take(batch));
  EXPECT_EQ(batch.events.size(), 2u);
  // Taking empties the byte count too.
  EXPECT_FALSE(box.offer(six_bytes, 4).dropped);
  EXPECT_FALSE(box.offer(six_bytes, 5).dropped);
}

TEST(Subscriber, OverflowRecordsEachChannelOnce) {
  auto box = mailbox(1);
  box.offer(event("a", "1"), 1);
  box.offer(event("a", "2"), 2);
  box.offer(event("b", "3"), 2);
  box.offer(event("a", "4"), 3);
  hub::Subscriber::Batch batch;
  ASSERT_TRUE(box.take(batch));
  EXPECT_EQ(bodies(batch), Strings{"1"});
  EXPECT_EQ(batch.overflowed, (Strings{"a", "b"}));
}

TEST(Subscriber, NothingIsAcceptedAfterAnOverflowUntilTaken) {
  // Room for more, but channel a missed events: b's events wait for the reset too, so
  // that nothing arrives out of order around it.
  auto box = mailbox(100);
  box.missed("a");
  EXPECT_TRUE(box.offer(event("b", "1"), 1).dropped);
  hub::Subscriber::Batch batch;
  ASSERT_TRUE(box.take(batch));
  EXPECT_TRUE(batch.events.empty());
  EXPECT_EQ(batch.overflowed, (Strings{"a", "b"}));
  EXPECT_FALSE(box.offer(event("b", "2"), 2).dropped);
  ASSERT_TRUE(box.take(batch));
  EXPECT_EQ(bodies(batch), Strings{"2"});
  EXPECT_TRUE(batch.overflowed.empty());
}

TEST(Subscriber, MissedIsAnOverflowOfThatChannel) {
  auto box = mailbox(100);
  box.offer(event("a", "1"), 1);
  EXPECT_FALSE(box.missed("b")); // the writer is already to be woken by the offer
  box.missed("b");
  hub::Subscriber::Batch batch;
  ASSERT_TRUE(box.take(batch));
  EXPECT_EQ(bodies(batch), Strings{"1"}); // what came before the miss is kept
  EXPECT_EQ(batch.overflowed, Strings{"b"});
  EXPECT_FALSE(box.take(batch));
  EXPECT_TRUE(box.missed("a")); // an idle writer is woken
}

TEST(Subscriber, CloseKeepsWhatIsQueuedAndAcceptsNothingMore) {
  auto box = mailbox(100);
  box.offer(event("a", "1"), 1);
  hub::Subscriber::Batch batch;
  box.take(batch);
  box.take(batch); // the writer is idle
  box.offer(event("a", "2"), 2);
  EXPECT_FALSE(box.close()); // already to be woken by the offer
  auto after = box.offer(event("a", "3"), 3);
  EXPECT_FALSE(after.wake);
  EXPECT_FALSE(after.dropped); // not a full mailbox: the stream is ending
  EXPECT_FALSE(box.missed("a"));
  ASSERT_TRUE(box.take(batch));
  EXPECT_EQ(bodies(batch), Strings{"2"});
  EXPECT_TRUE(batch.overflowed.empty());
  EXPECT_TRUE(batch.closing);
  EXPECT_TRUE(box.take(batch)); // closing stays news until the writer ends
  EXPECT_TRUE(batch.events.empty());
  EXPECT_TRUE(batch.closing);
}

TEST(Subscriber, CloseWakesAnIdleWriter) {
  auto box = mailbox(100);
  EXPECT_TRUE(box.close());
}

TEST(Subscriber, TakeReturnsFalseAndAnEmptyBatchWhenNothingWaits) {
  auto box = mailbox(100);
  hub::Subscriber::Batch batch;
  batch.events.push_back(event("a", "stale"));
  batch.overflowed.push_back("b");
  EXPECT_FALSE(box.take(batch));
  EXPECT_TRUE(batch.events.empty());
  EXPECT_TRUE(batch.overflowed.empty());
  EXPECT_FALSE(batch.closing);
}

TEST(Subscriber, TakeTradesVectorsSoSteadyWritingAllocatesNothing) {
  auto box = mailbox(100);
  hub::Subscriber::Batch batch;
  std::vector<const hub::EventPtr*> storage;
  for (std::uint64_t request = 1; request <= 4; ++request) {
    for (int i = 0; i < 8; ++i) box.offer(event("a", "x"), request);
    ASSERT_TRUE(box.take(batch));
    ASSERT_EQ(batch.events.size(), 8u);
    storage.push_back(batch.events.data());
  }
  // Two vectors take turns, each keeping what it grew to.
  EXPECT_NE(storage[0], storage[1]);
  EXPECT_EQ(storage[2], storage[0]);
  EXPECT_EQ(storage[3], storage[1]);
}

TEST(Subscriber, WakesOnceUntilTheWriterEmptiedTheMailbox) {
  auto box = mailbox(100);
  EXPECT_TRUE(box.offer(event("a", "1"), 1).wake);
  EXPECT_FALSE(box.offer(event("a", "2"), 2).wake); // not woken again while it waits
  hub::Subscriber::Batch batch;
  ASSERT_TRUE(box.take(batch));
  // The writer took something, so it comes back for more when its write is done.
  EXPECT_FALSE(box.offer(event("a", "3"), 3).wake);
  ASSERT_TRUE(box.take(batch));
  EXPECT_EQ(bodies(batch), Strings{"3"});
  EXPECT_FALSE(box.take(batch)); // now it is idle
  EXPECT_TRUE(box.offer(event("a", "4"), 4).wake);
}
