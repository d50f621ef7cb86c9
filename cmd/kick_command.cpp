#include <iostream>

#include "client/publish_client.hpp"
#include "commands.hpp"

namespace es::cmd {

Run add_kick_command(CLI::App& app) {
  auto* kick = app.add_subcommand("kick", "Re-check a user's permission on a channel; end their streams that lost it");
  kick->footer("Examples:\n"
               "  eventstream kick alice room-42\n"
               "  eventstream kick --url http://events.internal:8000 --key s3cret alice _alice\n"
               "\nThe server asks --auth-url afresh (when it has one) and checks the user's token against\n"
               "--private; streams that may no longer read the channel end with a forbidden stream error,\n"
               "the others are untouched. Prints how many streams ended.");
  struct Options {
    std::string user, channel;
    std::string url = "http://127.0.0.1:8000";
    std::string key;
    TlsTrust tls;
  };
  auto o = std::make_shared<Options>();
  kick->add_option("user", o->user, "User id (the token's sub)")->required();
  kick->add_option("channel", o->channel, "Channel")->required();
  with_env(kick->add_option("--url", o->url, "Server")->capture_default_str());
  kick->add_option("--key", o->key, "Publish key (the server's --publish-key)")->envname("EVENTSTREAM_PUBLISH_KEY");
  add_tls_trust_options(kick, o->tls);

  return [=]() -> int {
    try {
      client::PublishClient server(o->url, o->key, o->tls);
      auto ended = server.kick(o->user, o->channel);
      std::cout << ended << (ended == 1 ? " stream" : " streams") << " ended\n";
      return 0;
    } catch (const client::SendError& e) {
      std::cerr << "eventstream kick: " << e.what() << "\n";
      return e.exit_code();
    }
  };
}

} // namespace es::cmd
