#pragma once
// The embedded default: SQLite in WAL mode, full sync unless told. One writer connection, used
// only by the publisher's committer thread, so a transaction holds a whole group of
// publishes; readers (stream replay) take connections from a small pool and never wait
// for the writer. Channel heads are cached in memory, updated after each commit.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "storage/migrations.hpp"
#include "storage/storage.hpp"

namespace es::storage {

class SqliteStorage : public Storage {
public:
  // Creates and migrates a database that does not exist yet; refuses one with pending
  // migrations. `max_bytes` (0: no limit) caps the file, beyond which appends fail; `sync`
  // decides whether a commit waits for the disk. Throws StorageError.
  SqliteStorage(std::string path, std::uint64_t max_bytes, Sync sync);
  ~SqliteStorage() override;

  std::vector<std::uint64_t> append(const std::vector<NewEvent>& events, Clock::time_point now) override;
  ChannelRange range(const std::string& channel) override;
  std::vector<StoredEvent> read(const std::string& channel, std::uint64_t after, std::size_t limit) override;
  std::size_t trim(Clock::time_point cutoff, std::size_t limit) override;

private:
  struct Reader;
  class Lease;

  std::uint64_t cached_head(const std::string& channel);

  const std::string path_;
  SQLite::Database writer_;
  SQLite::Statement insert_event_;
  SQLite::Statement save_head_;
  SQLite::Statement trim_;
  std::int64_t last_created_ = 0;
  std::string text_; // reused for binding text

  std::mutex heads_mutex_;
  std::unordered_map<std::string, std::uint64_t> heads_;

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Reader>> idle_readers_;
};

} // namespace es::storage
