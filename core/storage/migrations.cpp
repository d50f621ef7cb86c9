#include "storage/migrations.hpp"

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

} // namespace

SQLite::Database open_database(const std::string& path, bool create) {
  bool exists = std::filesystem::exists(path);
  if (!exists && !create)
    throw StorageError("database " + path + " does not exist; create it with 'eventstream migrate --db " + path + "'");
  try {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | (create ? SQLite::OPEN_CREATE : 0), 5000);
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
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
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
