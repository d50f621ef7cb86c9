#include "server/server.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "auth/channel_mapper.hpp"
#include "auth/webhook.hpp"
#include "auth/webhook_pool.hpp"
#include "config/validate.hpp"
#include "http/listener.hpp"
#include "http/shared_state.hpp"
#include "hub/hub.hpp"
#include "metrics/metrics.hpp"
#include "publish/publisher.hpp"
#include "storage/memory_storage.hpp"
#include "storage/reader_pool.hpp"
#include "mercure/history.hpp"
#include "mercure/mercure_hub.hpp"
#include "mercure/update.hpp"
#include "redis/redis_fanout.hpp"
#include "redis/redis_nodes.hpp"
#include "storage/redis_layout.hpp"
#include "storage/redis_storage.hpp"
#include "storage/sqlite_storage.hpp"
#include "tls/server_tls.hpp"
#include "util/log.hpp"

namespace es::server {

namespace net = boost::asio;

namespace {

// Storage reads at once: enough that a slow read (a cold page, a Redis timeout) does
// not hold up every other, few enough to leave the cores to the I/O threads.
constexpr unsigned reader_threads = 4;

// Streams get this long to send their final chunk before the process exits anyway.
constexpr std::chrono::milliseconds drain_limit{1500};

// Stops the io_context once every stream has sent its final chunk and every committed
// publish has been answered, or at the deadline.
void drain(net::steady_timer& timer, http::SharedState& state, const std::function<void()>& stop,
           std::chrono::steady_clock::time_point deadline) {
  bool done = state.hubs.subscriber_count() == 0 && state.publishes_unanswered == 0;
  if (done || std::chrono::steady_clock::now() >= deadline) return stop();
  timer.expires_after(std::chrono::milliseconds(20));
  timer.async_wait([&timer, &state, &stop, deadline](boost::system::error_code) { drain(timer, state, stop, deadline); });
}

// Throws std::invalid_argument naming `flag` when `host` is not an IP address.
net::ip::tcp::endpoint endpoint_of(const std::string& host, unsigned short port, const std::string& flag) {
  boost::system::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec)
    throw std::invalid_argument(flag + ": '" + host + "' is not an IP address; use e.g. 127.0.0.1, 0.0.0.0 or ::1");
  return {address, port};
}

std::string listen_url(const net::ip::tcp::endpoint& ep, bool tls) {
  auto address = ep.address().to_string();
  return (tls ? "https://" : "http://") + (ep.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(ep.port());
}

std::unique_ptr<storage::Storage> open_storage(const config::ServerConfig& config) {
  switch (config.storage) {
  case config::ServerConfig::Storage::sqlite:
    return std::make_unique<storage::SqliteStorage>(config.db_path, config.db_max_size,
                                                    config.db_sync_normal ? storage::Sync::normal : storage::Sync::full);
  case config::ServerConfig::Storage::memory: return std::make_unique<storage::MemoryStorage>(config.memory_max_events);
  case config::ServerConfig::Storage::redis:
    return std::make_unique<storage::RedisStorage>(redis::parse_redis_target(config.redis_url), config.redis_replicas);
  case config::ServerConfig::Storage::none: return nullptr;
  }
  return nullptr;
}

std::string storage_summary(const config::ServerConfig& config) {
  std::string reliable;
  for (const auto& glob : config.reliable) reliable += (reliable.empty() ? "" : " ") + glob;
  std::string kept = ", retention " + std::to_string(config.retention.count()) + "s, stored channels: " + reliable;
  switch (config.storage) {
  case config::ServerConfig::Storage::sqlite: return "storage: sqlite " + config.db_path + kept;
  case config::ServerConfig::Storage::memory: return "storage: memory" + kept;
  case config::ServerConfig::Storage::redis:
    return "storage: redis " + redis::parse_redis_target(config.redis_url).describe() + kept;
  case config::ServerConfig::Storage::none: break;
  }
  return "storage: none, live only";
}

// Every connection is an open file, and the soft limit (often 1,024) is far below what a
// server holding streams needs: take what the hard limit allows, as nginx and Go do.
void raise_open_files_limit() {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur >= files.rlim_max) return;
  files.rlim_cur = files.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &files) != 0)
    log(LogLevel::warn, "cannot raise the open-files limit to " + std::to_string(files.rlim_max) +
                            "; fewer connections can be held (ulimit -n)");
}

// The last barrier: a handler that throws loses what it held (the connection it served
// is destroyed with it), not the server. Asio lets run() go on after an exception.
void run_io_thread(net::io_context& context) {
  static std::atomic<std::int64_t> last_logged{0};
  for (;;) {
    try {
      context.run();
      return;
    } catch (const std::exception& e) {
      metrics::metrics().requests_failed.fetch_add(1, std::memory_order_relaxed);
      log_once_a_minute(last_logged, LogLevel::error,
                        std::string("an I/O handler failed (") + e.what() + "); its connection was closed");
    } catch (...) {
      metrics::metrics().requests_failed.fetch_add(1, std::memory_order_relaxed);
      log_once_a_minute(last_logged, LogLevel::error, "an I/O handler failed; its connection was closed");
    }
  }
}

// SIGHUP: log rotation moved the --log-file away, or the certificate was renewed. Open
// connections keep the certificate they started with; new ones get the new one.
void reload_on_hangup(net::signal_set& hangups, tls::ServerTls* tls) {
  hangups.async_wait([&hangups, tls](boost::system::error_code ec, int) {
    if (ec) return;
    auto problem = reopen_log_file();
    log(problem.empty() ? LogLevel::info : LogLevel::error, problem.empty() ? "SIGHUP: log file reopened" : problem);
    if (tls && !tls->self_signed()) {
      auto refused = tls->reload();
      if (refused.empty()) log(LogLevel::info, "TLS certificate reloaded (SHA-256 " + tls->fingerprint() + ")");
      else log(LogLevel::error, "TLS reload refused: " + refused + "; still serving the previous certificate");
    }
    reload_on_hangup(hangups, tls);
  });
}

// The line after "listening on": which certificate, so that an operator can compare it
// with what a client sees.
std::string certificate_summary(const config::ServerConfig& config, const tls::ServerTls& tls) {
  if (!tls.self_signed())
    return "TLS certificate " + config.tls_cert + " (SHA-256 " + tls.fingerprint() + ")";
  return "TLS certificate: self-signed for localhost, 127.0.0.1 and ::1, made now, SHA-256 " + tls.fingerprint() +
         "; no client trusts it: use 'curl --insecure' or 'eventstream listen --insecure', and expect a browser "
         "warning to click through (for production, give --tls-cert and --tls-key)";
}

// The Mercure hub of --mercure-publisher-jwt-key, or null; it knows the ids storage holds.
std::unique_ptr<mercure::MercureHub> open_mercure(const config::ServerConfig& config, storage::Storage* storage) {
  if (!config.mercure()) return nullptr;
  auto algorithm = auth::parse_jwt_algorithm(config.mercure_algorithm);
  if (!algorithm)
    throw std::invalid_argument("--mercure-jwt-algorithm " + config.mercure_algorithm +
                                " is not one this hub verifies: give HS256, HS384, HS512, RS256, RS384, RS512, "
                                "ES256, ES384 or ES512");
  auto verifier = [&](const char* flag, const std::string& key) {
    try {
      return auth::JwtVerifier(*algorithm, key);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(flag) + ": " + e.what());
    }
  };
  mercure::HubSettings settings;
  settings.path = config.mercure_path;
  settings.public_url = config.mercure_discovery;
  settings.anonymous = config.mercure_anonymous;
  settings.subscriptions = config.mercure_subscriptions;
  settings.cors_origins = config.mercure_cors_origins;
  settings.leeway = config.auth_leeway;
  const auto& subscriber_key = config.mercure_subscriber_key.empty() ? config.mercure_publisher_key : config.mercure_subscriber_key;
  auto hub = std::make_unique<mercure::MercureHub>(std::move(settings),
                                                   verifier("--mercure-publisher-jwt-key", config.mercure_publisher_key),
                                                   verifier("--mercure-subscriber-jwt-key", subscriber_key));
  if (storage) mercure::remember_stored(*storage, hub->recent(), hub->recent().capacity());
  return hub;
}

} // namespace

void serve(const config::ServerConfig& config) {
  raise_open_files_limit();
  // Under a file size limit (ulimit -f) the write that crosses it would kill the server
  // with SIGXFSZ; ignored, that write fails with EFBIG and the publish gets a 503.
  std::signal(SIGXFSZ, SIG_IGN);
  // A log reader that went away (`serve | head`, a restarted shipper) would kill the
  // server with SIGPIPE at the next line, which any request writes; ignored, that line
  // is lost and the server serves on.
  std::signal(SIGPIPE, SIG_IGN);
  // First, so that a certificate that will not load stops the start before anything opens.
  std::shared_ptr<tls::ServerTls> tls;
  if (config.tls()) tls = std::make_shared<tls::ServerTls>(config);
  if (!config.redis_url.empty()) {
    redis::RedisNodes nodes(redis::parse_redis_target(config.redis_url));
    nodes.wait_ready(config.redis_wait);
    if (config.storage == config::ServerConfig::Storage::redis && !storage::redis_layout_current(nodes, true))
      throw storage::StorageError("Redis at " + nodes.describe() + " holds events stored by eventstream 0.1, whose keys "
                                  "a Redis Cluster cannot shard; stop every instance and run 'eventstream migrate "
                                  "--redis URL' once, then start them again");
  }
  std::unique_ptr<storage::Storage> storage = open_storage(config);

  auto stream_endpoint = endpoint_of(config.host, config.port, "ADDRPORT");
  std::optional<net::ip::tcp::endpoint> publish_endpoint;
  if (config.publish_addr)
    publish_endpoint = endpoint_of(config.publish_addr->host, config.publish_addr->port, "--publish-addr");

  // One io_context per thread, each with its own share of the connections and of the
  // hub: a connection lives on one thread from accept to close.
  unsigned threads = config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  // Before the io_contexts: destroying them destroys the connections still open at exit,
  // which release their address.
  http::AddressLimit addresses(config.max_connections_per_address);
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<net::any_io_executor> executors;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running;
  for (unsigned i = 0; i < threads; ++i) {
    contexts.push_back(std::make_unique<net::io_context>(1));
    // A timer makes the context's reactor (an epoll descriptor) now. Made by the first
    // connection instead, it would be an open file the listener can be refused once
    // descriptors run out, and that failure is thrown past the accept handler, ending
    // the accept loop.
    net::steady_timer(*contexts.back());
    executors.push_back(contexts.back()->get_executor());
    keep_running.push_back(net::make_work_guard(*contexts.back()));
  }
  auto stop_all = std::function<void()>([&contexts] {
    for (auto& context : contexts) context->stop();
  });

  hub::Hubs hubs(executors);
  // Before anything can publish (Redis's listener included): the hub remembers every update.
  std::unique_ptr<mercure::MercureHub> mercure_hub = open_mercure(config, storage.get());
  if (mercure_hub) hubs.observe([hub = mercure_hub.get()](const std::vector<hub::EventPtr>& events) { hub->observe(events); });
  std::vector<grip::Proxy> proxies;
  for (const auto& url : config.grip_urls) proxies.push_back(grip::parse_grip_url(url));
  std::unique_ptr<grip::GripPublisher> grip;
  if (!proxies.empty()) grip = std::make_unique<grip::GripPublisher>(proxies);
  std::unique_ptr<redis::RedisFanout> fanout;
  if (!config.redis_url.empty()) {
    // The Mercure hub remembers every update and subscription, held here or not.
    std::vector<std::string> kept;
    if (mercure_hub) kept.emplace_back(mercure::update_channel);
    fanout = std::make_unique<redis::RedisFanout>(redis::parse_redis_target(config.redis_url), hubs, kept);
    if (!fanout->wait_until_subscribed(std::chrono::seconds(5)))
      log(LogLevel::warn, "Redis at " + redis::parse_redis_target(config.redis_url).describe() + // no password
                              " does not answer yet; serving anyway, and events of other instances arrive once it does");
  }
  // Commits that cost a disk sync or a round trip are grouped, off the I/O threads.
  bool group_commits = config.storage == config::ServerConfig::Storage::sqlite ||
                       config.storage == config::ServerConfig::Storage::redis || fanout;
  publish::Publisher publisher(hubs, storage.get(), group_commits,
                               GlobSet(mercure::stored_channels(config)), config.retention, grip.get(), fanout.get());
  // Storage reads and Redis calls of the I/O threads run here. Declared after what its
  // jobs use (storage, the hubs, Redis) and before what uses it; stopped once the I/O
  // threads are done, since its jobs post to them.
  std::unique_ptr<storage::ReaderPool> readers;
  if (storage || fanout) readers = std::make_unique<storage::ReaderPool>(reader_threads, executors);
  // The permission webhook and the channel mapping call the application on the same threads.
  std::unique_ptr<auth::WebhookPool> webhook_pool;
  if (!config.auth_url.empty() || !config.channels_url.empty()) webhook_pool = std::make_unique<auth::WebhookPool>();
  std::unique_ptr<auth::PermissionWebhook> webhook;
  if (!config.auth_url.empty())
    webhook = std::make_unique<auth::PermissionWebhook>(*webhook_pool, config.auth_url, config.auth_cache,
                                                        config.auth_timeout);
  std::unique_ptr<auth::ChannelMapper> mapper;
  if (!config.channels_url.empty())
    mapper = std::make_unique<auth::ChannelMapper>(*webhook_pool, config.channels_url, config.auth_cache,
                                                   config.auth_timeout);
  http::SharedState state(config, hubs, publisher, addresses, storage.get(), readers.get(), webhook.get(),
                          mapper.get(), proxies,
                          grip.get(), fanout.get());
  for (const auto& warning : config::warnings(config, state.grip_sig.enabled())) log(LogLevel::warn, warning);
  state.tls = tls;
  state.mercure = mercure_hub.get();

  net::io_context& main_context = *contexts.front();
  std::vector<std::shared_ptr<http::Listener>> listeners;
  listeners.push_back(std::make_shared<http::Listener>(
      main_context.get_executor(), stream_endpoint, state,
      publish_endpoint ? http::Serves::all_but_publishing : http::Serves::everything));
  state.stream_url = listen_url(listeners.front()->local_endpoint(), tls != nullptr);
  if (publish_endpoint) {
    listeners.push_back(std::make_shared<http::Listener>(main_context.get_executor(), *publish_endpoint, state,
                                                         http::Serves::publishing));
    state.publish_url = listen_url(listeners.back()->local_endpoint(), false); // plain: loopback or a private network
  }
  for (auto& listener : listeners) listener->start();

  net::signal_set hangups(main_context, SIGHUP);
  reload_on_hangup(hangups, tls.get());
  net::signal_set signals(main_context, SIGINT, SIGTERM);
  net::steady_timer drain_timer(main_context);
  signals.async_wait([&](boost::system::error_code wait_ec, int signal) {
    if (wait_ec) return;
    log(LogLevel::info, std::string("received ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") +
                            ", closing streams and shutting down (send it again to exit at once)");
    signals.async_wait([&](boost::system::error_code again, int) {
      if (!again) stop_all();
    });
    for (auto& listener : listeners) listener->stop();
    hangups.cancel();
    if (webhook) webhook->stop();
    if (mapper) mapper->stop();
    publisher.stop(); // commits and answers what is queued; later publishes get 503
    state.shutting_down = true;
    hubs.close_all();
    drain(drain_timer, state, stop_all, std::chrono::steady_clock::now() + drain_limit);
  });

  std::string routes;
  for (const auto& r : config.routes) routes += (routes.empty() ? "" : ", ") + r;
  std::printf("eventstream %s listening on %s (routes: %s; publish: %s; %s)\n", EVENTSTREAM_VERSION,
              state.stream_url.c_str(), routes.c_str(), state.publish_location().c_str(),
              storage_summary(config).c_str());
  if (tls) std::printf("%s\n", certificate_summary(config, *tls).c_str());
  std::fflush(stdout);

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&context = *contexts[i]] { run_io_thread(context); });
  run_io_thread(main_context);
  for (auto& t : pool) t.join();
  if (readers) readers->stop(); // a read still running (Redis stopped) ends within the Redis timeout
  // Before `state`, which their answers use, goes away.
  if (webhook) webhook->stop();
  if (mapper) mapper->stop();
  log(LogLevel::info, "stopped");
}

} // namespace es::server
