#pragma once
// Each subcommand registers its options on the CLI11 app and returns what to run once
// parsing succeeded. Options get their environment name here, in one place.
#include <functional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "config/server_config.hpp"
#include "util/outgoing_http.hpp"

namespace es::cmd {

using Run = std::function<int()>;

// `--keep-alive` reads EVENTSTREAM_KEEP_ALIVE when not given on the command line.
CLI::Option* with_env(CLI::Option* option);

// A repeatable option that takes one value each time (`--route A --route B`), so that it
// never swallows the positional arguments after it.
CLI::Option* repeatable(CLI::Option* option);

// --cacert and --insecure, for the commands that connect to a server.
void add_tls_trust_options(CLI::App* command, TlsTrust& trust);

// Registers every `serve` option on `command`; the function returned gives the
// configuration they describe once parsed (std::invalid_argument for bad values).
using ServeConfig = std::function<config::ServerConfig()>;
ServeConfig add_serve_options(CLI::App* command);

// Runs `run`, printing what it throws as "eventstream COMMAND: message"; the exit code is
// 2 for std::invalid_argument (bad usage or input), 1 for other failures, else 0.
int run_reporting_errors(std::string_view command, const std::function<void()>& run);

Run add_serve_command(CLI::App& app);
Run add_serve_ngrok_command(CLI::App& app);
Run add_send_command(CLI::App& app);
Run add_migrate_command(CLI::App& app);
Run add_kick_command(CLI::App& app);
Run add_listen_command(CLI::App& app);
Run add_doctor_command(CLI::App& app);

} // namespace es::cmd
