#include <unistd.h>

#include <iostream>

#include "client/listen.hpp"
#include "commands.hpp"

namespace es::cmd {

Run add_listen_command(CLI::App& app) {
  auto* listen = app.add_subcommand("listen", "Print the events of a stream as they arrive (a command-line subscriber)");
  listen->footer("Examples:\n"
                 "  eventstream listen test                          # channel test on --url\n"
                 "  eventstream listen test news --format text\n"
                 "  eventstream listen 'https://example.com/events/?channel=test' --token \"$TOKEN\"\n"
                 "  eventstream listen test --count 1 --timeout 30   # wait for one event\n"
                 "  eventstream listen test | jq .data\n"
                 "\nIt reconnects after a break and resumes from the last id. Exit status: 0 after --count\n"
                 "events or at --timeout, 1 on a stream-error, a refused request, or fewer than --count\n"
                 "events before --timeout.");
  struct Options {
    std::vector<std::string> targets;
    std::string url = "http://127.0.0.1:8000";
    std::string format;
    std::size_t count = 0;
    double timeout = 0;
    std::string token;
    std::string last_event_id;
    TlsTrust tls;
  };
  auto o = std::make_shared<Options>();
  listen->add_option("target", o->targets, "A stream URL, or channel names (streamed from --url's /events/)")
      ->required();
  with_env(listen->add_option("--url", o->url, "Server, when channels are given")->capture_default_str());
  listen->add_option("--format", o->format, "json (NDJSON; the default when stdout is not a terminal) or text")
      ->check(CLI::IsMember({"json", "text"}));
  listen->add_option("--count", o->count, "Stop after this many events")->check(CLI::PositiveNumber);
  listen->add_option("--timeout", o->timeout, "Stop after this many seconds")->check(CLI::PositiveNumber);
  with_env(listen->add_option("--token", o->token, "User token, sent as Authorization: Bearer"));
  listen->add_option("--last-event-id", o->last_event_id, "Resume after this id (e.g. test:41)");
  add_tls_trust_options(listen, o->tls);

  return [=]() -> int {
    client::ListenOptions options;
    options.url = client::stream_url(o->targets, o->url);
    options.json = o->format.empty() ? !::isatty(STDOUT_FILENO) : o->format == "json";
    if (o->count) options.count = o->count;
    if (o->timeout > 0) options.timeout = std::chrono::milliseconds(static_cast<long long>(o->timeout * 1000));
    options.token = o->token;
    options.last_event_id = o->last_event_id;
    options.tls = o->tls;
    return client::listen(options, std::cout, std::cerr);
  };
}

} // namespace es::cmd
