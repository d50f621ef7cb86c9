#pragma once
// The SQLite schema ships as numbered migrations compiled into the binary and recorded
// in the database's `eventstream_migrations` table; each is applied in its own
// transaction. The file is marked as ours with SQLite's application_id, so a database
// of some other program is recognised and left untouched.
#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

namespace es::storage {

struct MigrationState {
  int version;
  std::string name;
  std::optional<std::string> applied_at; // UTC, as SQLite's datetime(); none while pending
};

// Opens an existing eventstream database, or creates one when `create` and there is
// none, after checking that it is SQLite, ours, and not newer than this binary. WAL and
// full sync are switched on only after those checks. Throws StorageError.
SQLite::Database open_database(const std::string& path, bool create);

// Every migration this binary knows, applied or not, in order. Throws StorageError.
std::vector<MigrationState> migration_states(SQLite::Database& db);

// Applies what is pending; returns the names applied. Throws StorageError.
std::vector<std::string> apply_migrations(SQLite::Database& db);

} // namespace es::storage
