#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <iterator>

#include "client/publish_client.hpp"
#include "commands.hpp"
#include "config/server_config.hpp"

namespace es::cmd {
namespace {

// A batch is sent when it is this large, or as soon as standard input has nothing more
// ready, so a slow producer's events are not held back waiting for company.
constexpr std::size_t batch_events = 500;
constexpr std::size_t batch_bytes = 256 * 1024;

void print_ids(const std::vector<std::optional<std::string>>& ids) {
  for (const auto& id : ids) std::cout << (id ? *id : "-") << "\n";
  std::cout.flush();
}

bool input_ready() {
  pollfd fd{STDIN_FILENO, POLLIN, 0};
  return ::poll(&fd, 1, 0) > 0;
}

void send_lines(client::PublishClient& publisher) {
  std::vector<client::OutgoingEvent> batch;
  std::size_t bytes = 0, line_number = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    print_ids(publisher.publish(batch));
    batch.clear();
    bytes = 0;
  };
  auto take_line = [&](std::string_view line) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    batch.push_back(client::parse_event_line(line, line_number));
    bytes += line.size();
    if (batch.size() >= batch_events || bytes >= batch_bytes) flush();
  };

  std::string pending;
  char buffer[64 * 1024];
  while (true) {
    if (!batch.empty() && !input_ready()) flush();
    ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw client::SendError(std::string("cannot read standard input: ") + std::strerror(errno), 1);
    if (n == 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n', start)) {
      take_line(std::string_view(pending).substr(start, end - start));
      start = end + 1;
    }
    pending.erase(0, start);
  }
  take_line(pending);
  flush();
}

} // namespace

Run add_send_command(CLI::App& app) {
  auto* send = app.add_subcommand("send", "Publish an event to a running server");
  send->footer("Examples:\n"
               "  eventstream send test message '{\"text\": \"hello world\"}'\n"
               "  echo '[1, 2, 3]' | eventstream send test numbers -\n"
               "  eventstream send --raw log line 'plain text, sent as is'\n"
               "  printf '%s\\n' '{\"channel\": \"a\", \"type\": \"t\", \"data\": 1}' | eventstream send --stdin-lines\n"
               "\nPrints the stored id of each event, one per line ('-' for an event that was delivered\n"
               "live without being stored). Exit status: 0 published, 1 failed, 2 bad input.");

  struct Options {
    std::string channel, type, data;
    std::string url = "http://127.0.0.1:8000";
    std::string key;
    bool raw = false;
    bool stdin_lines = false;
    std::vector<std::string> skip_users;
    std::string grip_url;
    std::vector<std::string> reliable = config::ServerConfig{}.reliable;
    TlsTrust tls;
  };
  auto o = std::make_shared<Options>();

  send->add_option("channel", o->channel, "Channel to publish to");
  send->add_option("type", o->type, "Event type (the SSE 'event:' field)");
  send->add_option("data", o->data, "Event data as JSON text, or - to read it from standard input");
  auto* url = with_env(send->add_option("--url", o->url, "Server to publish to")->capture_default_str());
  send->add_option("--grip-url", o->grip_url,
                   "Publish straight to this GRIP proxy instead (live only, no ids: reaches channels the origin "
                   "does not store); used when --url is not given")
      ->envname("GRIP_URL");
  with_env(repeatable(send->add_option("--reliable", o->reliable,
                                      "With --grip-url: the channels your servers store (their --reliable globs), "
                                      "which a proxy reaches only through a server")
                          ->capture_default_str()));
  send->add_option("--key", o->key, "Publish key (the server's --publish-key)")->envname("EVENTSTREAM_PUBLISH_KEY");
  send->add_flag("--raw", o->raw, "Send DATA as a plain string instead of JSON");
  repeatable(send->add_option("--skip-user", o->skip_users, "A user who must not receive the event; repeatable"));
  add_tls_trust_options(send, o->tls);
  send->add_flag("--stdin-lines", o->stdin_lines,
                 "Read events from standard input, one JSON object per line: "
                 "{\"channel\": ..., \"type\": ..., \"data\": ...}");

  return [=]() -> int {
    try {
      bool to_proxy = !o->grip_url.empty() && url->count() == 0;
      if (to_proxy && o->stdin_lines)
        throw client::SendError("--stdin-lines publishes through a server; drop --grip-url or pass --url", 2);
      client::PublishClient publisher(o->url, o->key, o->tls);
      if (o->stdin_lines) {
        if (!o->channel.empty())
          throw client::SendError("--stdin-lines reads every event from standard input; drop CHANNEL TYPE DATA", 2);
        send_lines(publisher);
        return 0;
      }
      if (o->channel.empty() || o->type.empty())
        throw client::SendError("usage: eventstream send CHANNEL TYPE DATA (or --stdin-lines); see --help", 2);
      if (o->data == "-") {
        o->data.assign(std::istreambuf_iterator<char>(std::cin), {});
        if (o->raw && !o->data.empty() && o->data.back() == '\n') o->data.pop_back();
      }
      if (!o->raw) client::check_json(o->data, "DATA");
      client::OutgoingEvent event{o->channel, o->type, o->data, o->raw, o->skip_users};
      if (to_proxy) {
        client::publish_to_grip(o->grip_url, {event}, o->reliable);
        print_ids({std::nullopt});
        return 0;
      }
      print_ids(publisher.publish({event}));
      return 0;
    } catch (const client::SendError& e) {
      std::cerr << "eventstream send: " << e.what() << "\n";
      return e.exit_code();
    }
  };
}

} // namespace es::cmd
