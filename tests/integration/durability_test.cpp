// SQLite storage under hard conditions: restarts, kill -9, a full database, locks,
// files that are not ours.
#include <gtest/gtest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
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

namespace {

// One publisher's channel across the kills.
struct StormChannel {
  std::string name;
  int next = 1;                     // data of the next batch's first event
  std::map<long, int> acknowledged; // id -> data, acknowledged since the last check
  long checked = 0;                 // the id up to which storage has been checked
  int checked_data = 0;             // the data of that event
};

// Publishes batches of five until the server dies. A batch cut off by the kill may or
// may not have been stored, never acknowledged: the next one starts past its numbers, so
// data only grow along a channel.
void publish_until_killed(const ServerProcess& server, StormChannel& channel) {
  constexpr int batch = 5;
  for (;;) {
    int first = channel.next;
    channel.next += batch;
    HttpResponse answer;
    try {
      answer = publish_body(server, numbered_batch(channel.name, first, batch));
    } catch (const std::exception&) {
      return; // the server died mid-request: not acknowledged
    }
    if (answer.status != 200) return;
    std::size_t at = 0;
    for (int data = first; data < first + batch; ++data) {
      at = answer.body.find(channel.name + ":", at);
      if (at == std::string::npos) return;
      at += channel.name.size() + 1;
      channel.acknowledged[std::stol(answer.body.substr(at))] = data;
    }
  }
}

// Resumes `channel` from where the last check ended, up to its last acknowledged event:
// ids follow each other, data grow (each event once, in order), and every acknowledged
// event has the id it was acknowledged with.
void check_resume(const ServerProcess& server, StormChannel& channel) {
  if (channel.acknowledged.empty()) return;
  long last = channel.acknowledged.rbegin()->first;
  SseClient client(server.host(), server.port(), "/events/?channel=" + channel.name,
                   {{"Last-Event-ID", channel.name + ":" + std::to_string(channel.checked)}});
  auto end = channel.name + ":" + std::to_string(last);
  auto events = client.events_until([&](const SseEvent& e) { return e.id == end; }, 10s);
  std::erase_if(events, [](const SseEvent& e) { return e.type != "n"; });
  ASSERT_EQ(events.size(), static_cast<std::size_t>(last - channel.checked)) << channel.name << ": " << client.body();
  for (const auto& e : events) {
    ASSERT_EQ(e.id, channel.name + ":" + std::to_string(++channel.checked));
    int data = std::stoi(e.data);
    ASSERT_GT(data, channel.checked_data) << "event " << *e.id << " repeats or reorders";
    channel.checked_data = data;
    if (auto ack = channel.acknowledged.find(channel.checked); ack != channel.acknowledged.end()) {
      ASSERT_EQ(data, ack->second) << "event " << *e.id << " is not the one acknowledged with that id";
    }
  }
  channel.acknowledged.clear();
}

// kill -9 under load, again and again: after every restart each acknowledged event is
// there once, in order, with its id, and a resume picks up where the last one ended.
void kill_nine_again_and_again(const std::vector<std::string>& sync) {
  TempDir dir;
  const std::string db = dir.file("events.db");
  constexpr int publishers = 4, rounds = 20;
  std::vector<StormChannel> channels(publishers);
  for (int p = 0; p < publishers; ++p) channels[p].name = "storm" + std::to_string(p);
  std::mt19937 random(20261128);
  std::size_t acknowledged = 0;
  for (int round = 0; round <= rounds; ++round) {
    std::vector<std::string> args{"--db", db};
    args.insert(args.end(), sync.begin(), sync.end());
    ServerProcess server(args);
    // This is the restart of the previous round's server: check what it acknowledged.
    for (auto& channel : channels) {
      acknowledged += channel.acknowledged.size();
      ASSERT_NO_FATAL_FAILURE(check_resume(server, channel)) << "round " << round;
    }
    if (round == rounds) break;
    std::vector<std::thread> threads;
    for (auto& channel : channels) threads.emplace_back([&] { publish_until_killed(server, channel); });
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution(200, 600)(random)));
    server.stop(SIGKILL);
    for (auto& t : threads) t.join();
  }
  EXPECT_GT(acknowledged, 0u);
  std::cout << acknowledged << " acknowledged events checked over " << rounds << " kills\n";
}

} // namespace

TEST(Durability, KillNineUnderLoadAgainAndAgainLosesNoAcknowledgedEvent) { kill_nine_again_and_again({}); }

// --sync normal gives up only what a power loss takes: a killed process loses nothing.
TEST(Durability, KillNineWithSyncNormalLosesNoAcknowledgedEvent) {
  kill_nine_again_and_again({"--sync", "normal"});
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
  EXPECT_FALSE(std::filesystem::exists(garbage + "-wal"));

  // An empty file is no eventstream database yet: refused, and still empty (not given
  // a SQLite header by the switch to WAL), by serve and by migrate --list alike.
  const std::string empty = dir.file("empty.db");
  std::ofstream(empty).close();
  refused(empty, "pending migration");
  EXPECT_EQ(std::filesystem::file_size(empty), 0u);
  EXPECT_EQ(run_eventstream({"migrate", "--db", empty, "--list"}).exit_code, 0);
  EXPECT_EQ(std::filesystem::file_size(empty), 0u);
  EXPECT_FALSE(std::filesystem::exists(empty + "-wal"));

  const std::string corrupt = dir.file("corrupt.db");
  ASSERT_EQ(run_eventstream({"migrate", "--db", corrupt}).exit_code, 0);
  {
    std::fstream f(corrupt, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f << "this is no longer a SQLite header";
  }
  refused(corrupt, "is not a usable SQLite file");
}

namespace {

unsigned mode_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

} // namespace

TEST(Durability, TheFilesItCreatesArePrivate) {
  TempDir dir;
  const std::string db = dir.file("events.db"), log = dir.file("eventstream.log");
  const std::string theirs = dir.file("theirs.log");
  std::ofstream(theirs).close();
  ::chmod(theirs.c_str(), 0640); // the operator's own choice, kept
  mode_t before = ::umask(022);  // the usual umask, which would give 0644
  {
    ServerProcess server({"--db", db, "--log-file", log});
    publish(server, "private", "message", "\"hello\""); // a commit, so the -wal holds something
    for (const auto& path : {db, db + "-wal", db + "-shm", log}) EXPECT_EQ(mode_of(path), 0600u) << path;
  }
  EXPECT_EQ(run_eventstream({"migrate", "--db", dir.file("migrated.db")}).exit_code, 0);
  EXPECT_EQ(mode_of(dir.file("migrated.db")), 0600u);
  {
    ServerProcess server({"--db", dir.file("other.db"), "--log-file", theirs});
    EXPECT_EQ(mode_of(theirs), 0640u);
  }
  ::umask(before);
}
