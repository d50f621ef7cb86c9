// `eventstream`: argument parsing and wiring only; all behaviour lives in core/.
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "commands.hpp"

namespace es::cmd {

namespace {

std::string env_name(std::string_view option_name) {
  std::string name = "EVENTSTREAM_";
  for (char c : option_name)
    name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return name;
}

// docs/configuration.md ranks the environment above the config file; CLI11 reads the file first, so
// the file's entries for options whose variable is set are dropped before CLI11 sees them.
class EnvironmentFirstConfig : public CLI::ConfigTOML {
public:
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    auto entries = CLI::ConfigTOML::from_config(input);
    std::erase_if(entries,
                  [](const CLI::ConfigItem& entry) { return std::getenv(env_name(entry.name).c_str()) != nullptr; });
    return entries;
  }
};

} // namespace

CLI::Option* with_env(CLI::Option* option) { return option->envname(env_name(option->get_single_name())); }

int run_reporting_errors(std::string_view command, const std::function<void()>& run) {
  try {
    run();
    return 0;
  } catch (const std::invalid_argument& e) {
    std::cerr << "eventstream " << command << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "eventstream " << command << ": " << e.what() << "\n";
    return 1;
  }
}

// --insecure has no environment variable: turning the check off is said on the command
// line each time, never inherited unnoticed.
void add_tls_trust_options(CLI::App* command, TlsTrust& trust) {
  with_env(command->add_option("--cacert", trust.cacert,
                               "Trust the https:// server's certificate when this PEM file holds the CA that issued it "
                               "(instead of the system's CAs)")
               ->check(CLI::ExistingFile));
  command->add_flag("--insecure", trust.insecure,
                    "Do not check the https:// server's certificate at all (testing, --tls-self-signed)");
}

CLI::Option* repeatable(CLI::Option* option) {
  return option->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

} // namespace es::cmd

int main(int argc, char** argv) {
  CLI::App app{"eventstream: a Server-Sent Events server and publisher.\n\n"
               "Examples:\n"
               "  eventstream serve 0.0.0.0:8000\n"
               "  eventstream send test message '{\"text\": \"hello world\"}'\n"
               "  eventstream listen test\n"
               "  eventstream migrate --db events.db\n"
               "  GRIP_URL='https://api.fanout.io/realm/R?iss=R&key=base64:...' eventstream serve-ngrok 8000\n",
               "eventstream"};
  app.set_version_flag("--version", "eventstream " EVENTSTREAM_VERSION);
  app.config_formatter(std::make_shared<es::cmd::EnvironmentFirstConfig>());
  app.set_config("--config", "eventstream.toml",
                 "Read options from this TOML file ([serve] and [send] sections); "
                 "command-line flags and EVENTSTREAM_* variables win over it");
  app.require_subcommand(1);
  app.footer("Run 'eventstream COMMAND --help' for a command's options.");

  es::cmd::Run serve = es::cmd::add_serve_command(app);
  es::cmd::Run serve_ngrok = es::cmd::add_serve_ngrok_command(app);
  es::cmd::Run send = es::cmd::add_send_command(app);
  es::cmd::Run migrate = es::cmd::add_migrate_command(app);
  es::cmd::Run kick = es::cmd::add_kick_command(app);
  es::cmd::Run listen = es::cmd::add_listen_command(app);
  es::cmd::Run doctor = es::cmd::add_doctor_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  const auto* chosen = app.get_subcommands().front();
  if (chosen->get_name() == "serve") return serve();
  if (chosen->get_name() == "serve-ngrok") return serve_ngrok();
  if (chosen->get_name() == "migrate") return migrate();
  if (chosen->get_name() == "kick") return kick();
  if (chosen->get_name() == "listen") return listen();
  if (chosen->get_name() == "doctor") return doctor();
  return send();
}
