#include <iostream>

#include "commands.hpp"
#include "storage/migrations.hpp"
#include "storage/storage.hpp"

namespace es::cmd {

Run add_migrate_command(CLI::App& app) {
  auto* migrate = app.add_subcommand("migrate", "Create or upgrade the SQLite event database");
  migrate->footer("Examples:\n"
                  "  eventstream migrate                       # creates or upgrades ./eventstream.db\n"
                  "  eventstream migrate --db /var/lib/eventstream/events.db --list\n"
                  "\nMigrations are numbered, compiled into eventstream and recorded in the database; each is\n"
                  "applied in its own transaction, in order, and running migrate again changes nothing.\n"
                  "A database written by a newer eventstream, or a file that is not an eventstream\n"
                  "database, is refused and left untouched. 'serve' creates a missing database itself,\n"
                  "but refuses to start on one with pending migrations.");
  auto db = std::make_shared<std::string>("eventstream.db");
  auto list = std::make_shared<bool>(false);
  with_env(migrate->add_option("--db", *db, "SQLite database file")->capture_default_str());
  migrate->add_flag("--list", *list, "Show applied ([X]) and pending ([ ]) migrations, change nothing");

  return [=]() -> int {
    try {
      auto database = storage::open_database(*db, !*list);
      if (*list) {
        for (const auto& state : storage::migration_states(database))
          std::cout << (state.applied_at ? "[X] " : "[ ] ") << state.name
                    << (state.applied_at ? "  (applied " + *state.applied_at + " UTC)" : "") << "\n";
        return 0;
      }
      auto applied = storage::apply_migrations(database);
      for (const auto& name : applied) std::cout << "Applied " << name << "\n";
      if (applied.empty()) std::cout << "No migrations to apply: " << *db << " is up to date.\n";
      return 0;
    } catch (const storage::StorageError& e) {
      std::cerr << "eventstream migrate: " << e.what() << "\n";
      return 1;
    }
  };
}

} // namespace es::cmd
