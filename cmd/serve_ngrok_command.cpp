#include <iostream>
#include <stdexcept>

#include "commands.hpp"
#include "grip/fanout_origin.hpp"
#include "grip/ngrok.hpp"
#include "server/server.hpp"

namespace es::cmd {

Run add_serve_ngrok_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "serve-ngrok", "Point the Fanout realm of --grip-url at this machine's ngrok tunnel, then serve like 'serve'");
  command->footer("Examples:\n"
                  "  ngrok http 8000 &\n"
                  "  export GRIP_URL='https://api.fanout.io/realm/REALM?iss=REALM&key=base64:KEY'\n"
                  "  eventstream serve-ngrok 8000\n"
                  "  eventstream serve-ngrok 8000 --dry-run     # show what would be registered");
  auto config = add_serve_options(command);
  auto api = std::make_shared<std::string>("http://localhost:4040");
  auto dry_run = std::make_shared<bool>(false);
  with_env(command->add_option("--ngrok-api", *api, "ngrok agent's web interface, whose /api/tunnels lists tunnels")
               ->capture_default_str());
  command->add_flag("--dry-run", *dry_run, "Show the tunnel and what would be sent to Fanout, then exit");

  return [config, api, dry_run] {
    return run_reporting_errors("serve-ngrok", [&] {
      config::ServerConfig settings = config();
      if (settings.port == 0)
        throw std::invalid_argument("serve-ngrok needs a fixed port, the one the ngrok tunnel forwards to");
      std::vector<grip::Proxy> realms;
      for (const auto& url : settings.grip_urls) realms.push_back(grip::parse_grip_url(url));
      if (realms.empty())
        throw std::runtime_error("no GRIP proxy configured; set GRIP_URL or --grip-url to your Fanout realm "
                                 "(https://api.fanout.io/realm/REALM?iss=REALM&key=base64:KEY)");
      for (const auto& realm : realms) grip::set_origin_url(realm); // refuses what is not a Fanout realm

      auto origin = grip::choose_origin(grip::list_tunnels(*api, settings.port), settings.port);
      std::cout << "Using " << origin.choice << "\n";
      for (const auto& realm : realms) {
        if (*dry_run) {
          std::cout << "Would POST " << grip::set_origin_url(realm) << " " << grip::set_origin_body(origin) << "\n";
          continue;
        }
        std::cout << "Setting ngrok tunnel " << origin.name() << " as GRIP origin" << std::endl;
        grip::set_origin(realm, origin);
      }
      if (!*dry_run) server::serve(settings);
    });
  };
}

} // namespace es::cmd
