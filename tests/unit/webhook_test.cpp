// The permission webhook's answer cache against a real webhook (a FakeHttpServer): what
// clients can make it hold is bounded, and expired answers go.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "auth/webhook.hpp"
#include "support/webhook_server.hpp"

using namespace es;
using es::auth::PermissionWebhook;
using Verdict = PermissionWebhook::Verdict;
using namespace std::chrono_literals;

namespace {

Verdict ask(PermissionWebhook& webhook, PermissionWebhook::Question question, bool fresh = false) {
  std::promise<Verdict> verdict;
  webhook.ask(std::move(question), fresh, [&](Verdict v) { verdict.set_value(v); });
  return verdict.get_future().get();
}

int allow(const std::string&, const std::string&) { return 200; }

} // namespace

// 4,000 streams with unique 15 KB cookies grew the server by 58 MB, and it stayed.
TEST(WebhookCache, CookiesCostADigestAndTheEntriesAreBounded) {
  test::WebhookServer app(allow);
  auth::WebhookPool pool;
  PermissionWebhook webhook(pool, app.url(), 60s, 5s, {.entries = 100, .bytes = 1 << 20});
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(ask(webhook, {"alice", "room", "session=" + std::to_string(i) + std::string(15000, 'c'), ""}),
              Verdict::allow);
    auto use = webhook.cache_use();
    EXPECT_LE(use.entries, 100u);
    EXPECT_LE(use.bytes, use.entries * 300); // the cookie is not kept
  }
  EXPECT_EQ(webhook.cache_use().entries, 100u);

  // The newest answers are the ones kept: asking again costs no call.
  auto calls = app.calls().size();
  EXPECT_EQ(ask(webhook, {"alice", "room", "session=299" + std::string(15000, 'c'), ""}), Verdict::allow);
  EXPECT_EQ(app.calls().size(), calls);
  // The digest tells the forwarded headers apart, also where one ends and the next begins.
  EXPECT_EQ(ask(webhook, {"alice", "room", "session=299", std::string(15000, 'c')}), Verdict::allow);
  EXPECT_EQ(app.calls().size(), calls + 1);
}

TEST(WebhookCache, BytesAreBoundedWhateverTheNamesCost) {
  test::WebhookServer app(allow);
  auth::WebhookPool pool;
  PermissionWebhook webhook(pool, app.url(), 60s, 5s, {.entries = 100000, .bytes = 10000});
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(ask(webhook, {"user-" + std::to_string(i), std::string(1000, 'r'), "", ""}), Verdict::allow);
    EXPECT_LE(webhook.cache_use().bytes, 10000u);
  }
  EXPECT_GE(webhook.cache_use().entries, 5u);
  EXPECT_LE(webhook.cache_use().entries, 8u);
  // A single answer over the bound is not kept at all.
  ASSERT_EQ(ask(webhook, {"bob", std::string(20000, 'r'), "", ""}), Verdict::allow);
  EXPECT_LE(webhook.cache_use().bytes, 10000u);
}

TEST(WebhookCache, ExpiredAnswersGo) {
  test::WebhookServer app(allow);
  auth::WebhookPool pool;
  PermissionWebhook webhook(pool, app.url(), 1s, 5s);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(ask(webhook, {"u" + std::to_string(i), "room", "", ""}), Verdict::allow);
  EXPECT_EQ(webhook.cache_use().entries, 50u);
  std::this_thread::sleep_for(1100ms);
  ASSERT_EQ(ask(webhook, {"late", "room", "", ""}), Verdict::allow);
  EXPECT_EQ(webhook.cache_use().entries, 1u);
  EXPECT_LT(webhook.cache_use().bytes, 300u); // the bytes went with them
  ASSERT_EQ(ask(webhook, {"u0", "room", "", ""}), Verdict::allow);
  EXPECT_EQ(app.calls().size(), 52u); // u0's answer had expired: asked again
}

// A kick's question had the same waiting list as an ordinary one asked just before it
// ("\0fresh" appended nothing), so it could get the answer from before the change.
TEST(WebhookCache, AKickGetsAFreshAnswer) {
  std::atomic<int> calls{0};
  test::WebhookServer app([&](const std::string&, const std::string&) { return calls++ == 0 ? 200 : 403; }, 300ms);
  auth::WebhookPool pool;
  PermissionWebhook webhook(pool, app.url(), 60s, 5s);
  std::promise<Verdict> before;
  webhook.ask({"alice", "room", "", ""}, false, [&](Verdict v) { before.set_value(v); });
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(ask(webhook, {"alice", "room", "", ""}, true), Verdict::deny);
  EXPECT_EQ(before.get_future().get(), Verdict::allow);
  // The answer from before the kick is not cached either.
  EXPECT_EQ(ask(webhook, {"alice", "room", "", ""}), Verdict::deny);
  EXPECT_EQ(webhook.cache_use().entries, 1u);
}
