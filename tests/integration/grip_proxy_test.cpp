// eventstream behind the real Pushpin from Debian (docs/development.md): Pushpin holds the client
// connections, the server answers it with instructions and publishes every event to it.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <thread>

#include "auth/jwt.hpp"
#include "support/publish.hpp"
#include "support/pushpin_process.hpp"
#include "support/server_process.hpp"
#include "support/webhook_server.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

// Pushpin routing to a server on a port chosen first; the server, on a database that
// outlives it, is started by the test.
struct BehindPushpin {
  int port = free_port();
  PushpinProcess pushpin{port};
  TempDir dir;
  std::string db = dir.path() + "/events.db";

  // Restarted servers read each other's links: they share --secret, unless args say otherwise.
  std::unique_ptr<ServerProcess> start(std::vector<std::string> args = {}) const {
    if (std::find(args.begin(), args.end(), "--secret") == args.end()) args.insert(args.end(), {"--secret", "link-secret"});
    args.insert(args.end(), {"--db", db, "--grip-url", pushpin.control_url(), "--grip-sig-key", PushpinProcess::sig_key});
    return std::make_unique<ServerProcess>(args, "127.0.0.1:" + std::to_string(port));
  }

  // Events on `channel` stored by a server on the same port and database that does not
  // publish to Pushpin: Pushpin misses them.
  void publish_unseen(const std::string& channel, const std::vector<std::string>& data) const {
    ServerProcess unlinked({"--db", db}, "127.0.0.1:" + std::to_string(port));
    for (const auto& d : data) publish(unlinked, channel, "message", d);
    EXPECT_EQ(unlinked.stop(), 0);
  }
};

std::string token(const std::string& user) {
  return es::auth::sign_hs256(R"({"sub": ")" + user + R"(", "exp": )" + std::to_string(std::time(nullptr) + 600) + "}",
                              "user-secret");
}

} // namespace

TEST(GripProxy, ClientsThroughPushpinReceiveWhatIsPublished) {
  BehindPushpin setup;
  auto server = setup.start({"--reliable", "test"});
  auto client = setup.pushpin.open_stream("/events/?channel=test&channel=live");
  EXPECT_FALSE(client->has_header("Grip-Hold")); // instructions are for Pushpin only
  ASSERT_EQ(client->next_event()->type, "stream-open");

  auto sent = run_eventstream({"send", "--url", server->base_url(), "test", "message", R"({"pct": "100%"})"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  auto event = client->next_event();
  ASSERT_TRUE(event) << client->body() << setup.pushpin.log_text();
  EXPECT_EQ(event->id, "test:1"); // built by Pushpin from the id_format we gave it
  EXPECT_EQ(event->data, R"({"pct": "100%"})");

  // Straight to Pushpin, no server involved: live only, so on a channel not stored.
  auto direct = run_eventstream(
      {"send", "--grip-url", setup.pushpin.control_url(), "--reliable", "test", "live", "note", R"("5% off")"});
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  event = client->next_event();
  ASSERT_TRUE(event) << client->body() << setup.pushpin.log_text();
  EXPECT_EQ(event->type, "note");
  EXPECT_EQ(event->data, R"("5% off")");
  EXPECT_FALSE(event->id);
  publish(*server, "test", "message", "2");
  event = client->next_event();
  ASSERT_TRUE(event) << client->body() << setup.pushpin.log_text();
  EXPECT_EQ(event->id, "test:2");

  // The stream survives the server going away: Pushpin holds it.
  EXPECT_EQ(server->stop(), 0);
  EXPECT_FALSE(client->ended(300ms));
}

// Pushpin drops an item without ids on a channel it holds with a prev-id ("last ID
// inconsistency"), no-seq or not: send --grip-url refuses to publish to a stored channel
// instead of exiting 0 for an event that never arrives.
TEST(GripProxy, SendStraightToPushpinRefusesAStoredChannel) {
  BehindPushpin setup;
  auto server = setup.start();
  auto refused = run_eventstream({"send", "--grip-url", setup.pushpin.control_url(), "test", "note", "1"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("channel 'test' is stored (it matches --reliable '*')"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("publish through the server with --url"), std::string::npos) << refused.err;
}

TEST(GripProxy, ResumesWithLastEventIdThroughPushpin) {
  BehindPushpin setup;
  auto server = setup.start();
  ASSERT_EQ(publish_body(*server, numbered_batch("test", 1, 3)).status, 200);
  auto client = setup.pushpin.open_stream("/events/?channel=test", {{"Last-Event-ID", "test:1"}});
  ASSERT_EQ(client->next_event()->type, "stream-open");
  EXPECT_EQ(client->next_event()->id, "test:2");
  EXPECT_EQ(client->next_event()->id, "test:3");
  publish(*server, "test", "message", "4");
  auto live = client->next_event();
  ASSERT_TRUE(live) << setup.pushpin.log_text();
  EXPECT_EQ(live->id, "test:4");
  EXPECT_EQ(live->data, "4");
}

TEST(GripProxy, PushpinRecoversEventsItMissedFromTheOrigin) {
  BehindPushpin setup;
  auto server = setup.start();
  auto client = setup.pushpin.open_stream("/events/?channel=test");
  ASSERT_EQ(client->next_event()->type, "stream-open");
  publish(*server, "test", "message", "1");
  EXPECT_EQ(client->next_event()->id, "test:1");
  EXPECT_EQ(server->stop(), 0);

  setup.publish_unseen("test", {"2", "3"});
  // So event 4 comes with prev-id 3 where Pushpin has 1: it asks the origin for the
  // gap (its next link, with Grip-Last) and delivers everything in order.
  server = setup.start();
  publish(*server, "test", "message", "4");
  auto events = client->events_until([](const SseEvent& e) { return e.id == "test:4"; }, 15s);
  std::vector<std::string> ids;
  for (const auto& e : events) ids.push_back(e.id.value_or(e.type));
  EXPECT_EQ(ids, (std::vector<std::string>{"test:2", "test:3", "test:4"})) << setup.pushpin.log_text();
}

TEST(GripProxy, AnInstanceThatCannotReadTheLinkEndsTheStreamQuietly) {
  BehindPushpin setup;
  auto server = setup.start();
  auto client = setup.pushpin.open_stream("/events/?channel=test");
  ASSERT_EQ(client->next_event()->type, "stream-open");
  EXPECT_EQ(server->stop(), 0);
  setup.publish_unseen("test", {"1"});
  // Another secret: the gap makes Pushpin ask for the link, which names a user this
  // server cannot know. The stream ends without a stream-error, so EventSource
  // reconnects (here, with its own credentials) and resumes.
  server = setup.start({"--secret", "another"});
  publish(*server, "test", "message", "2");
  EXPECT_TRUE(client->ended(std::chrono::seconds(15))) << client->body() << setup.pushpin.log_text();
  EXPECT_EQ(client->body().find("stream-error"), std::string::npos) << client->body();
}

TEST(GripProxy, KickEndsTheUsersStreamHeldByPushpin) {
  std::atomic<bool> alice_allowed{true};
  WebhookServer app([&](const std::string& user, const std::string&) { return user != "alice" || alice_allowed ? 200 : 403; });
  BehindPushpin setup;
  auto server = setup.start({"--auth-secret", "user-secret", "--auth-url", app.url(), "--auth-cache", "0"});
  auto alice = setup.pushpin.open_stream("/events/?channel=room", {{"Authorization", "Bearer " + token("alice")}});
  auto bob = setup.pushpin.open_stream("/events/?channel=room", {{"Authorization", "Bearer " + token("bob")}});
  ASSERT_EQ(alice->next_event()->type, "stream-open");
  ASSERT_EQ(bob->next_event()->type, "stream-open");

  alice_allowed = false;
  auto kicked = run_eventstream({"kick", "--url", server->base_url(), "alice", "room"});
  EXPECT_EQ(kicked.exit_code, 0) << kicked.err;
  auto error = alice->next_event();
  ASSERT_TRUE(error) << alice->body() << setup.pushpin.log_text();
  EXPECT_EQ(error->type, "stream-error");
  EXPECT_EQ(error->data, R"({"condition": "forbidden", "text": "Permission denied to channels: room", "channels": ["room"]})");
  EXPECT_TRUE(alice->ended());

  // Bob's stream is untouched, and a second kick within a minute works too (4.5.1 reuses
  // the same item ids, which Pushpin drops as duplicates).
  publish(*server, "room", "message", "1");
  auto for_bob = bob->next_event();
  ASSERT_TRUE(for_bob) << bob->body() << setup.pushpin.log_text() << server->stderr_text();
  EXPECT_EQ(for_bob->id, "room:1");
  alice_allowed = true;
  auto again = setup.pushpin.open_stream("/events/?channel=room", {{"Authorization", "Bearer " + token("alice")}});
  ASSERT_EQ(again->next_event()->type, "stream-open");
  alice_allowed = false;
  EXPECT_EQ(run_eventstream({"kick", "--url", server->base_url(), "alice", "room"}).exit_code, 0);
  auto second = again->next_event();
  ASSERT_TRUE(second) << again->body();
  EXPECT_EQ(second->type, "stream-error");
}

TEST(GripProxy, SkipUsersWorksThroughPushpin) {
  BehindPushpin setup;
  auto server = setup.start({"--auth-secret", "user-secret"});
  auto alice = setup.pushpin.open_stream("/events/?channel=room", {{"Authorization", "Bearer " + token("alice")}});
  auto bob = setup.pushpin.open_stream("/events/?channel=room", {{"Authorization", "Bearer " + token("bob")}});
  ASSERT_EQ(alice->next_event()->type, "stream-open");
  ASSERT_EQ(bob->next_event()->type, "stream-open");

  ASSERT_EQ(publish_body(*server, R"({"channel": "room", "data": "not for alice", "skip_users": ["alice"]})").status, 200);
  publish(*server, "room", "message", R"("for all")");
  EXPECT_EQ(bob->next_event()->id, "room:1");
  EXPECT_EQ(bob->next_event()->id, "room:2");
  auto next = alice->next_event();
  ASSERT_TRUE(next) << alice->body() << setup.pushpin.log_text();
  EXPECT_EQ(next->id, "room:2");
  EXPECT_EQ(next->data, R"("for all")");
}

TEST(GripProxy, KeepAlivesComeFromPushpin) {
  BehindPushpin setup;
  auto server = setup.start({"--keep-alive", "1"});
  auto client = setup.pushpin.open_stream("/events/?channel=test");
  ASSERT_EQ(client->next_event()->type, "stream-open");
  auto keep_alive = client->next_event(5s);
  ASSERT_TRUE(keep_alive) << client->body();
  EXPECT_EQ(keep_alive->type, "keep-alive");
}
