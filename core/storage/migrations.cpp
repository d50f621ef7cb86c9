#include "storage/migrations.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include "storage/storage.hpp"

namespace es::storage {
namespace {

constexpr int application_id = 0x65767374; // "evst"

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Append only: a released migration never changes.
constexpr Migration all_migrations[] = {
    {1, "0001_initial", R"sql(
CREATE TABLE eventstream_channels (
  name TEXT PRIMARY KEY,
  head INTEGER NOT NULL
);
CREATE TABLE eventstream_events (
  channel TEXT NOT NULL,
  id INTEGER NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  created INTEGER NOT NULL, -- milliseconds since the epoch
  UNIQUE (channel, id)
);
CREATE INDEX eventstream_events_by_created ON eventstream_events (created, id);
)sql"},
    // Users a publish skipped, as a JSON array ('' for none): replay honours them too.
    {2, "0002_skip_users", R"sql(
ALTER TABLE eventstream_events ADD COLUMN skip_users TEXT NOT NULL DEFAULT '';
)sql"},
};

constexpr int newest_version = all_migrations[std::size(all_migrations) - 1].version;

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  throw StorageError("database " + path + " " + why);
}

bool has_migrations_table(SQLite::Database& db) { return db.tableExists("eventstream_migrations"); }

// The events of private channels are in the file: it is made 0600 whatever the umask,
// before SQLite opens it (SQLite would make it 0644 under the usual umask, and gives the
// -wal and -shm it creates the mode of the database file). Only a file created here: one
// the operator made keeps the mode they chose, since they may share it with a group on
// purpose.
void create_private(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) return; // made meanwhile by someone else: theirs, checked as it is
  if (fd < 0)
    refuse(path, std::string("cannot be created (") + std::strerror(errno) +
                     "); check that its directory exists and is writable");
  int changed = ::fchmod(fd, 0600);
  int err = errno;
  ::close(fd);
  if (changed != 0)
    refuse(path, std::string("cannot be made private (chmod 0600: ") + std::strerror(err) + ")");
}

} // namespace

SQLite::Database open_database(const std::string& path, OpenFor purpose, Sync sync) {
  bool exists = std::filesystem::exists(path);
  if (!exists && purpose == OpenFor::listing)
    throw StorageError("database " + path + " does not exist; create it with 'eventstream migrate --db " + path + "'");
  if (!exists) create_private(path);
  try {
    // Until every check below has passed, only reads: a file refused is left byte for byte.
    SQLite::Database db(path, SQLite::OPEN_READWRITE, 5000);
    int id = db.execAndGet("PRAGMA application_id").getInt();
    int objects = db.execAndGet("SELECT count(*) FROM sqlite_master").getInt();
    if (id != application_id && (id != 0 || objects != 0))
      refuse(path, "is not an eventstream database (it belongs to another program); it was left untouched. "
                   "Pass another --db");
    if (id == application_id && has_migrations_table(db)) {
      int version = db.execAndGet("SELECT coalesce(max(version), 0) FROM eventstream_migrations").getInt();
      if (version > newest_version)
        refuse(path, "has schema version " + std::to_string(version) + ", newer than this eventstream knows (" +
                         std::to_string(newest_version) + "); upgrade eventstream, or pass another --db");
    }
    if (purpose == OpenFor::serving && exists) {
      std::size_t pending = 0;
      for (const auto& state : migration_states(db)) pending += !state.applied_at;
      if (pending)
        refuse(path, "has " + std::to_string(pending) + " pending migration(s); it was left untouched. Run "
                     "'eventstream migrate --db " + path + "' first");
    }
    if (purpose == OpenFor::listing) return db;
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(sync == Sync::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    if (purpose == OpenFor::serving && !exists) apply_migrations(db);
    return db;
  } catch (const SQLite::Exception& e) {
    int code = e.getErrorCode();
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
      refuse(path, std::string("is not a usable SQLite file (") + e.what() +
                       "); it was left untouched. Restore it from a backup or pass another --db");
    if (code == SQLITE_CANTOPEN)
      refuse(path, std::string("cannot be opened (") + e.what() +
                       "); check that its directory exists and is writable");
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
      refuse(path, "is locked by another process; stop it or pass another --db");
    refuse(path, std::string("cannot be opened: ") + e.what());
  }
}

std::vector<MigrationState> migration_states(SQLite::Database& db) {
  std::vector<MigrationState> states;
  for (const auto& m : all_migrations) states.push_back({m.version, m.name, std::nullopt});
  if (!has_migrations_table(db)) return states;
  SQLite::Statement query(db, "SELECT version, applied_at FROM eventstream_migrations ORDER BY version");
  while (query.executeStep()) {
    int version = query.getColumn(0).getInt();
    for (auto& state : states)
      if (state.version == version) state.applied_at = query.getColumn(1).getString();
  }
  return states;
}

std::vector<std::string> apply_migrations(SQLite::Database& db) {
  std::vector<std::string> applied;
  try {
    if (!has_migrations_table(db)) {
      SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
      db.exec("PRAGMA application_id = " + std::to_string(application_id));
      db.exec("CREATE TABLE eventstream_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
              "applied_at TEXT NOT NULL)");
      tx.commit();
    }
    for (const auto& state : migration_states(db)) {
      if (state.applied_at) continue;
      const auto& m = all_migrations[state.version - 1];
      SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
      db.exec(m.sql);
      SQLite::Statement record(db, "INSERT INTO eventstream_migrations VALUES (?, ?, datetime('now'))");
      record.bind(1, m.version);
      record.bind(2, m.name);
      record.exec();
      tx.commit();
      applied.push_back(m.name);
    }
  } catch (const SQLite::Exception& e) {
    throw StorageError(std::string("migrating ") + db.getFilename() + " failed, nothing of the failed step was kept: " +
                       e.what());
  }
  return applied;
}

} // namespace es::storage
