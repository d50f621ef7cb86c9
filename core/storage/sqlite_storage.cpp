#include "storage/sqlite_storage.hpp"

#include <algorithm>
#include <cerrno>

#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <rapidjson/document.h>

#include "sse/json_text.hpp"
#include "storage/migrations.hpp"
#include "util/json_reader.hpp"

namespace es::storage {
namespace {

// The operating system's error behind SQLite's last I/O error, which SQLite reports as
// a bare "disk I/O error" unless it was ENOSPC: from the -wal file (where commits are
// written in WAL mode), else from the database file.
int last_file_errno(SQLite::Database& db) {
  int err = 0;
  sqlite3_file* wal = nullptr;
  if (sqlite3_file_control(db.getHandle(), "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK && wal &&
      wal->pMethods && wal->pMethods->xFileControl(wal, SQLITE_FCNTL_LAST_ERRNO, &err) == SQLITE_OK && err)
    return err;
  if (sqlite3_file_control(db.getHandle(), "main", SQLITE_FCNTL_LAST_ERRNO, &err) != SQLITE_OK) return 0;
  return err;
}

// What went wrong with a write, in words an operator can act on; `system_errno` tells a
// file size limit or a file that refuses writes apart from other I/O errors.
StorageError write_error(const std::string& path, const SQLite::Exception& e, int system_errno) {
  int code = e.getErrorCode();
  if (code == SQLITE_IOERR && (system_errno == ENOSPC || system_errno == EFBIG || system_errno == EDQUOT))
    code = SQLITE_FULL;
  if (code == SQLITE_IOERR && (system_errno == EPERM || system_errno == EACCES || system_errno == EROFS))
    code = SQLITE_READONLY;
  switch (code) {
  case SQLITE_FULL:
    return StorageError("database " + path + " is full (disk, file size limit or --db-max-size); nothing was "
                        "stored. Free space, raise the limit or shorten --retention");
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return StorageError("database " + path + " is locked by another process; nothing was stored");
  case SQLITE_READONLY:
    return StorageError("database " + path + " is read-only; nothing was stored. Make it and its -wal file "
                        "writable again (permissions, chattr -i, a read-only mount)");
  default: return StorageError("database " + path + " failed to store events: " + e.what());
  }
}

} // namespace

struct SqliteStorage::Reader {
  explicit Reader(const std::string& path)
      : db(path, SQLite::OPEN_READONLY, 5000),
        events(db, "SELECT id, type, data, skip_users FROM eventstream_events WHERE channel = ? AND id > ? "
                   "ORDER BY id LIMIT ?"),
        first(db, "SELECT min(id) FROM eventstream_events WHERE channel = ?") {}
  SQLite::Database db;
  SQLite::Statement events;
  SQLite::Statement first;
};

// A reader borrowed from the pool for one query, given back even when the query throws.
class SqliteStorage::Lease {
public:
  explicit Lease(SqliteStorage& owner) : owner_(owner) {
    {
      std::lock_guard lock(owner_.readers_mutex_);
      if (!owner_.idle_readers_.empty()) {
        reader_ = std::move(owner_.idle_readers_.back());
        owner_.idle_readers_.pop_back();
      }
    }
    if (!reader_) reader_ = std::make_unique<Reader>(owner_.path_);
  }
  ~Lease() {
    reader_->events.tryReset();
    reader_->first.tryReset();
    std::lock_guard lock(owner_.readers_mutex_);
    owner_.idle_readers_.push_back(std::move(reader_));
  }
  Reader* operator->() { return reader_.get(); }

private:
  SqliteStorage& owner_;
  std::unique_ptr<Reader> reader_;
};

SqliteStorage::SqliteStorage(std::string path, std::uint64_t max_bytes, Sync sync)
    : path_(std::move(path)), writer_(open_database(path_, OpenFor::serving, sync)),
      insert_event_(writer_, "INSERT INTO eventstream_events (channel, id, type, data, created, skip_users) "
                             "VALUES (?, ?, ?, ?, ?, ?)"),
      save_head_(writer_, "INSERT INTO eventstream_channels (name, head) VALUES (?1, ?2) "
                          "ON CONFLICT (name) DO UPDATE SET head = ?2"),
      trim_(writer_, "DELETE FROM eventstream_events WHERE rowid IN "
                     "(SELECT rowid FROM eventstream_events WHERE created < ? ORDER BY created, id LIMIT ?)") {
  if (max_bytes) {
    auto page_size = static_cast<std::uint64_t>(writer_.execAndGet("PRAGMA page_size").getInt64());
    writer_.exec("PRAGMA max_page_count = " + std::to_string(std::max<std::uint64_t>(max_bytes / page_size, 1)));
  }
  SQLite::Statement heads(writer_, "SELECT name, head FROM eventstream_channels");
  while (heads.executeStep())
    heads_[heads.getColumn(0).getString()] = static_cast<std::uint64_t>(heads.getColumn(1).getInt64());
  last_created_ = writer_.execAndGet("SELECT coalesce(max(created), 0) FROM eventstream_events").getInt64();
}

SqliteStorage::~SqliteStorage() = default;

std::uint64_t SqliteStorage::cached_head(const std::string& channel) {
  std::lock_guard lock(heads_mutex_);
  auto it = heads_.find(channel);
  return it == heads_.end() ? 0 : it->second;
}

std::vector<std::uint64_t> SqliteStorage::append(const std::vector<NewEvent>& events, Clock::time_point now) {
  // Created times never go backwards, so trimming by time keeps each channel's
  // retained ids contiguous even when the wall clock steps back.
  std::int64_t created =
      std::max(last_created_, std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  std::unordered_map<std::string, std::uint64_t> heads; // the new heads, applied after the commit
  std::vector<std::uint64_t> ids;
  ids.reserve(events.size());
  try {
    SQLite::Transaction tx(writer_, SQLite::TransactionBehavior::IMMEDIATE);
    for (const auto& event : events) {
      std::string channel(event.channel);
      auto [it, fresh] = heads.try_emplace(channel, 0);
      if (fresh) it->second = cached_head(channel);
      std::uint64_t id = ++it->second;
      insert_event_.bind(1, channel);
      insert_event_.bind(2, static_cast<std::int64_t>(id));
      // SQLiteCpp binds text only from std::string (a pointer and size would be a BLOB).
      text_.assign(event.type);
      insert_event_.bind(3, text_);
      text_.assign(event.data);
      insert_event_.bind(4, text_);
      insert_event_.bind(5, created);
      text_.clear();
      if (!event.skip_users.empty()) {
        text_ = "[";
        for (const auto& user : event.skip_users) {
          if (text_.size() > 1) text_ += ", ";
          sse::append_python_json_string(text_, user);
        }
        text_ += "]";
      }
      insert_event_.bind(6, text_);
      insert_event_.exec();
      insert_event_.reset();
      ids.push_back(id);
    }
    for (const auto& [channel, head] : heads) {
      save_head_.bind(1, channel);
      save_head_.bind(2, static_cast<std::int64_t>(head));
      save_head_.exec();
      save_head_.reset();
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    insert_event_.tryReset();
    save_head_.tryReset();
    throw write_error(path_, e, last_file_errno(writer_));
  }
  last_created_ = created;
  std::lock_guard lock(heads_mutex_);
  for (auto& [channel, head] : heads) heads_[channel] = head;
  return ids;
}

ChannelRange SqliteStorage::range(const std::string& channel) {
  std::uint64_t head = cached_head(channel);
  if (head == 0) return {1, 0};
  try {
    Lease reader(*this);
    reader->first.bind(1, channel);
    std::uint64_t first = head + 1;
    if (reader->first.executeStep() && !reader->first.getColumn(0).isNull())
      first = static_cast<std::uint64_t>(reader->first.getColumn(0).getInt64());
    return {first, head};
  } catch (const SQLite::Exception& e) {
    throw StorageError("database " + path_ + " could not be read: " + e.what());
  }
}

std::vector<StoredEvent> SqliteStorage::read(const std::string& channel, std::uint64_t after, std::size_t limit) {
  std::vector<StoredEvent> events;
  try {
    Lease reader(*this);
    auto& query = reader->events;
    query.bind(1, channel);
    query.bind(2, static_cast<std::int64_t>(after));
    query.bind(3, static_cast<std::int64_t>(limit));
    while (query.executeStep()) {
      events.push_back({static_cast<std::uint64_t>(query.getColumn(0).getInt64()), query.getColumn(1).getString(),
                        query.getColumn(2).getString(), {}});
      std::string skip = query.getColumn(3).getString();
      if (skip.empty()) continue;
      JsonDocument users;
      if (read_json(users, skip).empty() && users.IsArray())
        for (const auto& user : users.GetArray())
          if (user.IsString()) events.back().skip_users.emplace_back(user.GetString(), user.GetStringLength());
    }
  } catch (const SQLite::Exception& e) {
    throw StorageError("database " + path_ + " could not be read: " + e.what());
  }
  return events;
}

std::size_t SqliteStorage::trim(Clock::time_point cutoff, std::size_t limit) {
  try {
    trim_.bind(1, static_cast<std::int64_t>(
                      std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count()));
    trim_.bind(2, static_cast<std::int64_t>(limit));
    int deleted = trim_.exec();
    trim_.reset();
    return static_cast<std::size_t>(deleted);
  } catch (const SQLite::Exception& e) {
    trim_.tryReset();
    throw write_error(path_, e, last_file_errno(writer_));
  }
}

} // namespace es::storage
