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

// What a caller opens the database for, which decides what may be written to it.
enum class OpenFor {
  listing,   // `migrate --list`: the file must exist, and nothing is written to it
  migrating, // `migrate`: a missing file is created; the caller applies what is pending
  serving,   // `serve`: a missing file is created with every migration applied; an existing
             // one must have none pending
};

// When a commit reaches the disk (SQLite's synchronous in WAL mode, `serve --sync`).
enum class Sync {
  full,   // fsync before the commit returns: survives a power loss
  normal, // the WAL is fsynced at checkpoints only: survives a crash of the process
          // (kill -9), but the last commits may be lost if the machine loses power
};

// Opens the database at `path` for `purpose` after checking that it is SQLite, ours, not
// newer than this binary and (serving) not behind it. A file that fails a check is left
// byte for byte as it was: WAL and `sync` are switched on only after them (and never
// for listing). A file this creates is made 0600, and SQLite gives its -wal and -shm the
// same mode; an existing file keeps the mode its owner gave it. Throws StorageError.
SQLite::Database open_database(const std::string& path, OpenFor purpose, Sync sync = Sync::full);

// Every migration this binary knows, applied or not, in order. Throws StorageError.
std::vector<MigrationState> migration_states(SQLite::Database& db);

// Applies what is pending; returns the names applied. Throws StorageError.
std::vector<std::string> apply_migrations(SQLite::Database& db);

} // namespace es::storage
