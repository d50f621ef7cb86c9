#include <iostream>

#include "commands.hpp"
#include "redis/redis_nodes.hpp"
#include "storage/redis_layout.hpp"
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
  auto db = std::make_shared<std::string>(config::ServerConfig{}.db_path); // the database serve opens
  auto list = std::make_shared<bool>(false);
  auto redis_url = std::make_shared<std::string>();
  with_env(migrate->add_option("--db", *db, "SQLite database file")->capture_default_str());
  with_env(migrate->add_option("--redis", *redis_url,
                               "Upgrade a Redis for --storage redis instead (the keys of eventstream 0.1 get hash tags)"));
  migrate->add_flag("--list", *list, "Show applied ([X]) and pending ([ ]) migrations, change nothing");

  return [=]() -> int {
    return run_reporting_errors("migrate", [&] {
      if (!redis_url->empty()) {
        redis::RedisNodes nodes(redis::parse_redis_target(*redis_url));
        nodes.wait_ready(std::chrono::seconds(0));
        if (*list) {
          std::cout << (storage::redis_layout_current(nodes, false) ? "[X] " : "[ ] ")
                    << "hash-tagged keys (eventstream:{c:CHANNEL}:head, :events)\n";
          return;
        }
        if (storage::redis_layout_current(nodes, true)) {
          std::cout << "Nothing to migrate: Redis at " << nodes.describe() << " holds no keys of eventstream 0.1.\n";
          return;
        }
        auto moved = storage::migrate_redis_layout(nodes);
        std::cout << "Moved the keys of " << moved << " channels at " << nodes.describe() << " to hash-tagged names.\n";
        return;
      }
      auto database = storage::open_database(*db, *list ? storage::OpenFor::listing : storage::OpenFor::migrating);
      if (*list) {
        for (const auto& state : storage::migration_states(database))
          std::cout << (state.applied_at ? "[X] " : "[ ] ") << state.name
                    << (state.applied_at ? "  (applied " + *state.applied_at + " UTC)" : "") << "\n";
        return;
      }
      auto applied = storage::apply_migrations(database);
      for (const auto& name : applied) std::cout << "Applied " << name << "\n";
      if (applied.empty()) std::cout << "No migrations to apply: " << *db << " is up to date.\n";
    });
  };
}

} // namespace es::cmd
