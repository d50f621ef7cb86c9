// SQLite storage under hard conditions: restarts, kill -9, a full database, locks,
// files that are not ours.
#include <gtest/gtest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "support/publish.hpp"
#include "support/sse_client.hpp"
#include "support/temp_dir.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

// Every event of `channel` from its first, until none arrives for a while.
std::vector<SseEvent> everything(const ServerProcess& server, const std::string& channel) {
  SseClient client(server.host(), server.port(), "/events/?channel=" + channel, {{"Last-Event-ID", channel + ":0"}});
  std::vector<SseEvent> events;
  while (auto e = client.next_event(1500ms))
    if (e->type != "stream-open") events.push_back(*e);
  return events;
}

} // namespace

TEST(Durability, ResumeAcrossARestart) {
  TempDir dir;
  const std::string db = dir.file("events.db");
  {
    ServerProcess server({"--db", db});
    publish_body(server, numbered_batch("r", 1, 5));
    EXPECT_EQ(server.stop(), 0);
  }
  ServerProcess server({"--db", db});
  SseClient client(server.host(), server.port(), "/events/?channel=r", {{"Last-Event-ID", "r:2"}});
  ASSERT_EQ(client.next_event()->type, "stream-open");
  for (int n = 3; n <= 5; ++n) EXPECT_EQ(client.next_event()->id, "r:" + std::to_string(n));
  EXPECT_EQ(publish_body(server, numbered_batch("r", 6, 1)).body, "{\"ids\": [\"r:6\"]}\n");
  EXPECT_EQ(client.next_event()->id, "r:6");
}

TEST(Durability, KillNineMidStormLosesNoAcknowledgedEvent) {
  TempDir dir;
  const std::string db = dir.file("events.db");
  constexpr int publishers = 4;
  std::vector<int> acknowledged(publishers, 0);
  {
    ServerProcess server({"--db", db});
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int p = 0; p < publishers; ++p)
      threads.emplace_back([&, p] {
        std::string channel = "storm" + std::to_string(p);
        for (int n = 1; !stop; n += 5) {
          try {
            auto res = publish_body(server, numbered_batch(channel, n, 5), {});
            if (res.status != 200) return;
            // Ids must be the numbers we sent: one publisher per channel.
            if (res.body.find(channel + ":" + std::to_string(n + 4)) == std::string::npos) return;
            acknowledged[p] = n + 4;
          } catch (const std::exception&) {
            return; // the server died mid-request: not acknowledged
          }
        }
      });
    std::this_thread::sleep_for(1500ms);
    server.stop(SIGKILL);
    stop = true;
    for (auto& t : threads) t.join();
  }
  ServerProcess server({"--db", db});
  for (int p = 0; p < publishers; ++p) {
    ASSERT_GT(acknowledged[p], 0);
    auto events = everything(server, "storm" + std::to_string(p));
    // Exactly once and in order: event n has id n and data n, and nothing acknowledged
    // is missing (events committed but not yet acknowledged may be there too).
    ASSERT_GE(events.size(), static_cast<std::size_t>(acknowledged[p]));
    for (std::size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].id, "storm" + std::to_string(p) + ":" + std::to_string(i + 1));
      ASSERT_EQ(events[i].data, std::to_string(i + 1));
    }
  }
}

TEST(Durability, AFullDatabaseRefusesThePublishAndKeepsWhatItHad) {
  ServerProcess server({"--db-max-size", "200000"});
  const std::string big(20000, 'x');
  int accepted = 0;
  es::test::HttpResponse refused;
  for (int n = 1; n <= 100; ++n) {
    auto res = publish_body(server, R"({"channel": "full", "data": [)" + std::to_string(n) + R"(, ")" + big + "\"]}");
    if (res.status != 200) {
      refused = res;
      break;
    }
    accepted = n;
  }
  ASSERT_GT(accepted, 0);
  ASSERT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("is full"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("nothing was stored"), std::string::npos) << refused.body;

  auto events = everything(server, "full");
  ASSERT_EQ(events.size(), static_cast<std::size_t>(accepted));
  for (int n = 1; n <= accepted; ++n) EXPECT_EQ(events[n - 1].id, "full:" + std::to_string(n));
  // Reading and small live-only publishing still work.
  EXPECT_EQ(http_request(server.host(), server.port(), "GET", "/healthz").status, 200);
}

TEST(Durability, ALockedDatabaseIsAClearError) {
  TempDir dir;
  const std::string db = dir.file("events.db");
  ASSERT_EQ(run_eventstream({"migrate", "--db", db}).exit_code, 0);
  SQLite::Database holder(db, SQLite::OPEN_READWRITE);
  holder.exec("PRAGMA locking_mode = EXCLUSIVE");
  holder.exec("BEGIN EXCLUSIVE");
  auto r = run_eventstream({"serve", "127.0.0.1:0", "--db", db}, "", 30s);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("locked"), std::string::npos) << r.err;
}

TEST(Durability, BadFilesAreRefusedAtStartAndLeftAlone) {
  TempDir dir;
  auto refused = [&](const std::string& db, const std::string& words) {
    auto r = run_eventstream({"serve", "127.0.0.1:0", "--db", db}, "", 20s);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
  };
  refused(dir.file("missing-dir/events.db"), "check that its directory exists and is writable");

  const std::string garbage = dir.file("garbage.db");
  std::ofstream(garbage) << std::string(8192, 'G');
  refused(garbage, "is not a usable SQLite file");
  EXPECT_EQ(read_file(garbage), std::string(8192, 'G'));

  const std::string corrupt = dir.file("corrupt.db");
  ASSERT_EQ(run_eventstream({"migrate", "--db", corrupt}).exit_code, 0);
  {
    std::fstream f(corrupt, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f << "this is no longer a SQLite header";
  }
  refused(corrupt, "is not a usable SQLite file");
}
