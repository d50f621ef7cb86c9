// Fuzz target: the bytes a client sends, through what HttpSession does with them before
// a stream starts: Beast's parser with the server's limits, the target split into path
// and query, route matching, the viewer check, and stream planning (channels,
// Last-Event-ID, tokens, permissions). A request with a Grip-Sig header is taken as one
// from a GRIP proxy (a fuzzer cannot sign one), so Grip-Last and the GRIP answer are
// covered too. Bodies of POST /publish/ have their own target (publish_request_fuzz).
//
// Every response must be one Beast can write: no CR or LF in a header, or a client
// could inject headers into what the server or a proxy sends.
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/grip_answer.hpp"
#include "http/http_session.hpp"
#include "http/shared_state.hpp"
#include "http/stream_request.hpp"
#include "http/web_pages.hpp"
#include "storage/memory_storage.hpp"
#include "util/url.hpp"

using namespace es;
using es::http::bhttp::verb;

namespace {

config::ServerConfig fuzz_config() {
  config::ServerConfig config;
  config.routes = {"/events/", "/rooms/{room}/events/=room-{room},lobby", "/user/{channel}/"};
  config.auth_secret = "fuzz-secret";
  config.auth_cookie = "token";
  config.private_globs = {"_*"};
  config.secret = "fuzz-link-secret";
  config.max_body = 64 * 1024;
  return config;
}

// A server's shared state without its threads and sockets; a few events are stored so
// that resuming reads some.
struct Server {
  config::ServerConfig config = fuzz_config();
  boost::asio::io_context io;
  hub::Hubs hubs{{io.get_executor()}};
  storage::MemoryStorage storage{1000};
  publish::Publisher publisher{hubs, &storage, false, GlobSet({"*"}), config.retention};
  http::AddressLimit addresses{0};
  http::SharedState state{config, hubs, publisher, addresses, &storage, nullptr, {}, nullptr, nullptr};

  Server() {
    std::vector<storage::NewEvent> events;
    for (std::string_view channel : {"test", "room-1", "lobby", "_alice"})
      for (int i = 0; i < 3; ++i) events.push_back({channel, "message", "{\"n\": 1}"});
    storage.append(events, storage::Clock::now());
  }
};

void check_writable(const http::Response& res) {
  for (const auto& field : res.base())
    if (field.name_string().find_first_of("\r\n") != std::string_view::npos ||
        field.value().find_first_of("\r\n") != std::string_view::npos)
      std::abort();
}

void route(const http::Request& req, const http::SharedState& state) {
  Target target = split_target(req.target());
  QueryParams query = parse_query(target.query);
  auto match = state.routes.match(target.path, query);
  if (!match) return;
  if (http::wants_viewer(req)) return check_writable(http::viewer_page(req));
  if (req.method() != verb::get) return;
  bool proxied = !req["Grip-Sig"].empty();
  auto plan = http::plan_stream(req, std::move(match->channels), query, state, proxied);
  if (auto* refusal = std::get_if<http::Response>(&plan)) return check_writable(*refusal);
  if (proxied) check_writable(http::grip_answer(req, std::get<http::StreamPlan>(plan), state));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Server server;
  http::RequestParser parser;
  http::limit_request(parser, server.config);
  boost::beast::error_code ec;
  // As bhttp::read does: feed what has arrived until the request is complete; the end of
  // the input is the client closing its side.
  auto rest = boost::asio::buffer(data, size);
  while (rest.size() > 0 && !parser.is_done()) {
    auto used = parser.put(rest, ec);
    if (ec || used == 0) break;
    rest += used;
  }
  if (ec == http::bhttp::error::need_more) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;
  route(parser.get(), server.state);
  return 0;
}
