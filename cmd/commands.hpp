#pragma once
// Each subcommand registers its options on the CLI11 app and returns what to run once
// parsing succeeded. Options get their environment name here, in one place.
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace es::cmd {

using Run = std::function<int()>;

// `--keep-alive` reads EVENTSTREAM_KEEP_ALIVE when not given on the command line.
CLI::Option* with_env(CLI::Option* option);

// A repeatable option that takes one value each time (`--route A --route B`), so that it
// never swallows the positional arguments after it.
CLI::Option* repeatable(CLI::Option* option);

Run add_serve_command(CLI::App& app);
Run add_send_command(CLI::App& app);
Run add_migrate_command(CLI::App& app);
Run add_kick_command(CLI::App& app);

} // namespace es::cmd
