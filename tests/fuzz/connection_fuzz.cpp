// Fuzz target: a whole connection. The input is what a client sends; it goes through a
// real loopback TCP socket into the HttpSession the server runs, on to whatever the
// request becomes (an answer, a stream, a GRIP answer, a publish, a kick), and the
// answer is read back until the server closes. Requests with the Grip-Sig of the seeds
// (signed with the key below, valid until 2100) come from a GRIP proxy, so Grip-Last and
// the GRIP answer are covered too.
//
// Built as fuzz_http2_connection (EVENTSTREAM_FUZZ_HTTP2), the input follows HTTP/2's
// client preface: every input is frames for the Http2Session the preface hands the
// connection to, and its seeds (corpus/http2_connection/) are requests as frames.
//
// Here no barrier stands between a handler and io_context::run(): an exception that
// escapes one ends the process and the fuzzer reports it. One a session catches is
// answered with a 500 and counted in requests_failed, which is a finding as well: no
// input should reach that.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "http/http_session.hpp"
#include "http/shared_state.hpp"
#include "metrics/metrics.hpp"
#include "storage/memory_storage.hpp"
#include "storage/reader_pool.hpp"
#include "util/log.hpp"

using namespace es;
namespace net = boost::asio;
using net::ip::tcp;

namespace {

config::ServerConfig fuzz_config() {
  config::ServerConfig config;
  config.routes = {"/events/", "/rooms/{room}/events/=room-{room},lobby", "/user/{channel}/"};
  config.auth_secret = "fuzz-secret";
  config.auth_cookie = "token";
  config.private_globs = {"_*"};
  config.secret = "fuzz-link-secret";
  config.grip_sig_key = "fuzz-sig-key";
  config.max_body = 64 * 1024;
  config.mercure_publisher_key = "fuzz-mercure";
  config.mercure_anonymous = true;
  config.mercure_subscriptions = true;
  config.mercure_cors_origins = {"https://app.example"};
  return config;
}

// A server on one thread, the fuzzer's: its shared state, a listening socket, and a few
// stored events so that resuming reads some.
struct Server {
  config::ServerConfig config = fuzz_config();
  net::io_context io{1};
  hub::Hubs hubs{{io.get_executor()}};
  storage::MemoryStorage storage{1000};
  publish::Publisher publisher{hubs, &storage, false, GlobSet({"*"}), config.retention};
  http::AddressLimit addresses{0};
  storage::ReaderPool readers{1, {io.get_executor()}};
  http::SharedState state{config, hubs, publisher, addresses, &storage, &readers, nullptr, nullptr, {}, nullptr, nullptr};
  tcp::acceptor acceptor{io, {net::ip::address_v4::loopback(), 0}};
  mercure::MercureHub mercure{mercure_settings(config), {auth::JwtAlgorithm::hs256, config.mercure_publisher_key},
                              {auth::JwtAlgorithm::hs256, config.mercure_publisher_key}};

  static mercure::HubSettings mercure_settings(const config::ServerConfig& config) {
    mercure::HubSettings settings;
    settings.anonymous = config.mercure_anonymous;
    settings.subscriptions = config.mercure_subscriptions;
    settings.cors_origins = config.mercure_cors_origins;
    return settings;
  }

  Server() {
    set_log_level(LogLevel::error);
    state.mercure = &mercure;
    hubs.observe([this](const std::vector<hub::EventPtr>& events) { mercure.observe(events); });
    std::vector<storage::NewEvent> events;
    for (std::string_view channel : {"test", "room-1", "lobby", "_alice"})
      for (int i = 0; i < 3; ++i) events.push_back({channel, "message", "{\"n\": 1}"});
    storage.append(events, storage::Clock::now());
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Server server;
  // libFuzzer's alarm for -timeout interrupts blocking calls: they are tried again.
  boost::system::error_code ec;
  tcp::socket client(server.io);
  do client.connect(server.acceptor.local_endpoint(), ec);
  while (ec == net::error::interrupted);
  tcp::socket accepted(server.io);
  do server.acceptor.accept(accepted, ec);
  while (ec == net::error::interrupted);
  if (ec) throw boost::system::system_error(ec, "the fuzzer's loopback connection");
  auto peer = accepted.remote_endpoint();
  std::make_shared<http::HttpSession>(http::Transport(std::move(accepted)), peer, http::ConnectionSlot(server.addresses, ""),
                                      server.state, 0, http::Serves::everything)
      ->run();

  // The client sends everything and closes its side, as one that leaves; the server
  // answers and closes once it has read that end (streams included).
  std::string answer;
  bool answered = false;
  std::string input(reinterpret_cast<const char*>(data), size);
#ifdef EVENTSTREAM_FUZZ_HTTP2
  input.insert(0, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
#endif
  net::async_write(client, net::buffer(input), [&](boost::system::error_code write_ec, std::size_t) {
    if (!write_ec) client.shutdown(tcp::socket::shutdown_send, write_ec);
  });
  net::async_read(client, net::dynamic_buffer(answer, 1 << 20),
                  [&](boost::system::error_code, std::size_t) { answered = true; });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!answered && std::chrono::steady_clock::now() < deadline) server.io.run_one_for(std::chrono::milliseconds(100));
  client.close();
  server.io.poll(); // what the server does with the closed connection
  server.io.restart();

  if (metrics::metrics().requests_failed.load() != 0) std::abort();
  return 0;
}
