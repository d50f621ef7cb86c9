// `eventstream migrate` and how `serve` treats the schema it finds.
#include <gtest/gtest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <fstream>

#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using namespace es::test;

TEST(Migrate, FreshFileTwiceAndList) {
  TempDir dir;
  const std::string db = dir.file("events.db");
  auto first = run_eventstream({"migrate", "--db", db});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "Applied 0001_initial\nApplied 0002_skip_users\n");
  auto second = run_eventstream({"migrate", "--db", db});
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_EQ(second.out, "No migrations to apply: " + db + " is up to date.\n");
  auto list = run_eventstream({"migrate", "--db", db, "--list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.out.rfind("[X] 0001_initial  (applied ", 0), 0u) << list.out;
}

TEST(Migrate, ListOnAMissingFileCreatesNothing) {
  TempDir dir;
  auto list = run_eventstream({"migrate", "--db", dir.file("none.db"), "--list"});
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_NE(list.err.find("does not exist"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.file("none.db")));
}

TEST(Migrate, ServeRefusesPendingMigrationsUntilMigrateRuns) {
  TempDir dir;
  const std::string db = dir.file("events.db");
  {
    // What an eventstream database looks like before its first migration is applied.
    SQLite::Database raw(db, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("PRAGMA application_id = " + std::to_string(0x65767374));
    raw.exec("CREATE TABLE eventstream_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
             "applied_at TEXT NOT NULL)");
  }
  auto refused = run_eventstream({"serve", "127.0.0.1:0", "--db", db}, "", std::chrono::seconds(20));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("pending migration"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("eventstream migrate --db " + db), std::string::npos) << refused.err;

  auto list = run_eventstream({"migrate", "--db", db, "--list"});
  EXPECT_EQ(list.out, "[ ] 0001_initial\n[ ] 0002_skip_users\n");
  ASSERT_EQ(run_eventstream({"migrate", "--db", db}).exit_code, 0);
  ServerProcess server({"--db", db});
  EXPECT_TRUE(server.running());
}

TEST(Migrate, NewerSchemaIsRefusedAndUntouched) {
  TempDir dir;
  const std::string db = dir.file("events.db");
  ASSERT_EQ(run_eventstream({"migrate", "--db", db}).exit_code, 0);
  {
    SQLite::Database raw(db, SQLite::OPEN_READWRITE);
    raw.exec("INSERT INTO eventstream_migrations VALUES (99, '0099_future', datetime('now'))");
  }
  const std::string before = read_file(db);
  for (auto args : {std::vector<std::string>{"migrate", "--db", db},
                    std::vector<std::string>{"serve", "127.0.0.1:0", "--db", db}}) {
    auto r = run_eventstream(args, "", std::chrono::seconds(20));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("newer than this eventstream"), std::string::npos) << r.err;
  }
  EXPECT_EQ(read_file(db), before);
}

TEST(Migrate, ForeignDatabaseIsRefusedAndUntouched) {
  TempDir dir;
  const std::string db = dir.file("app.db");
  {
    SQLite::Database raw(db, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)");
  }
  const std::string before = read_file(db);
  for (auto args : {std::vector<std::string>{"migrate", "--db", db},
                    std::vector<std::string>{"serve", "127.0.0.1:0", "--db", db}}) {
    auto r = run_eventstream(args, "", std::chrono::seconds(20));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("not an eventstream database"), std::string::npos) << r.err;
  }
  EXPECT_EQ(read_file(db), before);
  EXPECT_FALSE(std::filesystem::exists(db + "-wal"));
}

TEST(Migrate, UpgradesADatabaseOfAnOlderVersion) {
  TempDir dir;
  const std::string db = dir.file("events.db");
  ASSERT_EQ(run_eventstream({"migrate", "--db", db}).exit_code, 0);
  {
    // Back to what the first release left behind: migration 1 only.
    SQLite::Database raw(db, SQLite::OPEN_READWRITE);
    raw.exec("ALTER TABLE eventstream_events DROP COLUMN skip_users");
    raw.exec("DELETE FROM eventstream_migrations WHERE version = 2");
  }
  auto refused = run_eventstream({"serve", "127.0.0.1:0", "--db", db}, "", std::chrono::seconds(20));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("1 pending migration(s)"), std::string::npos) << refused.err;
  auto upgrade = run_eventstream({"migrate", "--db", db});
  EXPECT_EQ(upgrade.out, "Applied 0002_skip_users\n");
  auto list = run_eventstream({"migrate", "--db", db, "--list"});
  EXPECT_NE(list.out.find("[X] 0002_skip_users"), std::string::npos) << list.out;
  ServerProcess server({"--db", db});
  EXPECT_TRUE(server.running());
}
