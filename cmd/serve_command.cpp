#include <fstream>
#include <iostream>
#include <stdexcept>

#include "commands.hpp"
#include "config/addrport.hpp"
#include "config/duration.hpp"
#include "config/server_config.hpp"
#include "config/validate.hpp"
#include "server/server.hpp"
#include "util/log.hpp"

namespace es::cmd {
namespace {

// Whole seconds of a default, for the options given in seconds.
std::shared_ptr<unsigned> seconds_of(std::chrono::milliseconds duration) {
  return std::make_shared<unsigned>(static_cast<unsigned>(std::chrono::duration_cast<std::chrono::seconds>(duration).count()));
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// A Mercure public key given as the file holding it is read here; a secret (HS*) or PEM
// text is the key itself.
std::string key_text(const std::string& value, const std::string& algorithm) {
  if (value.empty() || algorithm.starts_with("HS") || value.find("-----BEGIN") != std::string::npos) return value;
  std::ifstream in(value);
  if (!in)
    throw std::invalid_argument("cannot read the Mercure key file '" + value + "': give a readable file holding a PEM "
                                "public key, or the PEM text itself");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

// Options start at the defaults of config::ServerConfig; those given in other units or
// spellings are converted back into it once parsed.
ServeConfig add_serve_options(CLI::App* serve) {
  auto config = std::make_shared<config::ServerConfig>();
  auto addrport = std::make_shared<std::string>(config::format_addrport({config->host, config->port}));
  auto publish_addr = std::make_shared<std::string>();
  auto log_level = std::make_shared<std::string>("info");
  auto keep_alive = seconds_of(config->keep_alive);
  auto write_timeout = seconds_of(config->write_timeout);
  auto routes = std::make_shared<std::vector<std::string>>();
  auto storage = std::make_shared<std::string>(config::storage_name(config->storage));
  auto retention = std::make_shared<std::string>(config::format_duration(config->retention));
  auto sync = std::make_shared<std::string>("full");
  auto reliable = std::make_shared<std::vector<std::string>>();
  auto secret_file = std::make_shared<std::string>();
  auto leeway = seconds_of(config->auth_leeway);
  auto auth_cache = seconds_of(config->auth_cache);
  auto auth_timeout = seconds_of(config->auth_timeout);
  auto redis_wait = seconds_of(config->redis_wait);
  auto header_timeout = seconds_of(config->header_timeout);
  auto retry = std::make_shared<unsigned>(static_cast<unsigned>(config->retry.count()));

  serve->add_option("addrport", *addrport, "Where to listen: PORT, HOST:PORT or [IPV6]:PORT")
      ->capture_default_str();
  with_env(serve->add_option("--threads", config->threads, "Worker threads (0: one per core)")
               ->capture_default_str());
  with_env(repeatable(serve->add_option("--route", *routes,
                             "Stream route PATH[=CHANNEL,...], repeatable; {name} captures a path segment "
                             "(default: " + joined(config->routes) + ", channels from ?channel=)")));
  with_env(serve->add_option("--keep-alive", *keep_alive, "Seconds of silence before a keep-alive event")
               ->capture_default_str()
               ->check(CLI::Range(1u, 86400u)));
  with_env(serve->add_option("--write-timeout", *write_timeout,
                             "Seconds a write to a client may take before the stream is closed")
               ->capture_default_str()
               ->check(CLI::Range(1u, 86400u)));
  with_env(serve->add_option("--channel-limit", config->channel_limit, "Most channels one stream may ask for")
               ->capture_default_str()
               ->check(CLI::PositiveNumber));
  with_env(serve->add_option("--subscriber-queue", config->subscriber_queue,
                             "Events that may wait for one slow stream before it gets a stream-reset")
               ->capture_default_str()
               ->check(CLI::PositiveNumber));
  with_env(serve->add_option("--subscriber-queue-bytes", config->subscriber_queue_bytes,
                             "Bytes of events that may wait for one slow stream before it gets a stream-reset")
               ->capture_default_str()
               ->check(CLI::PositiveNumber));
  with_env(serve->add_option("--retry", *retry,
                             "Milliseconds clients wait before reconnecting (SSE retry:), plus up to as much again at "
                             "random so a restart's clients do not all return at once (0: not sent)")
               ->capture_default_str()
               ->check(CLI::Range(0u, 3600000u)));
  with_env(serve->add_option("--max-connections", config->max_connections,
                             "Most client connections at once; more get 503 with Retry-After (0: the open-files "
                             "limit less 64)")
               ->capture_default_str());
  with_env(serve->add_option("--max-connections-per-address", config->max_connections_per_address,
                             "Most connections from one client address (IPv6: one /64); more get 429 with "
                             "Retry-After (0: no limit; behind a proxy, every client has the proxy's address)")
               ->capture_default_str());
  with_env(serve->add_option("--max-header-bytes", config->max_header_bytes,
                             "Largest request head (request line and headers) in bytes; larger gets 431")
               ->capture_default_str()
               ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 20)));
  with_env(serve->add_option("--max-headers", config->max_headers, "Most header fields in a request; more gets 431")
               ->capture_default_str()
               ->check(CLI::PositiveNumber));
  with_env(serve->add_option("--max-request-line", config->max_request_line,
                             "Longest request line (method, target, version) in bytes; longer gets 414")
               ->capture_default_str()
               ->check(CLI::PositiveNumber));
  with_env(serve->add_option("--header-timeout", *header_timeout,
                             "Seconds a client has to send a request head, and an idle connection waits for the next")
               ->capture_default_str()
               ->check(CLI::Range(1u, 3600u)));
  with_env(serve->add_option("--max-batch", config->max_batch, "Most events in one publish request; more gets 413")
               ->capture_default_str()
               ->check(CLI::PositiveNumber));
  with_env(serve->add_option("--max-channel-length", config->max_channel_length,
                             "Longest channel name in bytes (control characters are refused)")
               ->capture_default_str()
               ->check(CLI::Range(std::size_t{1}, std::size_t{4096})));
  with_env(serve->add_option("--allow-origin", config->allow_origin, "Access-Control-Allow-Origin of streams"));
  with_env(serve->add_flag("--allow-credentials", config->allow_credentials,
                           "Send Access-Control-Allow-Credentials: true"));
  with_env(serve->add_option("--allow-headers", config->allow_headers, "Access-Control-Allow-Headers of streams"));
  with_env(serve->add_option("--publish-key", config->publish_key,
                             "Require 'Authorization: Bearer KEY' to publish (without it, loopback clients only, "
                             "and not through a proxy)"));
  with_env(serve->add_option("--publish-addr", *publish_addr,
                             "Serve publishing (/publish/, /kick/) on this PORT, HOST:PORT or [IPV6]:PORT, not on "
                             "the main address; pick one no proxy forwards to (PORT alone: 127.0.0.1:PORT)")
               ->check([](const std::string& text) {
                 try {
                   config::parse_addrport(text);
                   return std::string();
                 } catch (const std::invalid_argument& e) {
                   return std::string(e.what());
                 }
               }));
  with_env(serve->add_option("--max-body", config->max_body, "Largest publish body in bytes")
               ->capture_default_str()
               ->check(CLI::PositiveNumber));
  repeatable(serve->add_option("--grip-url", config->grip_urls,
                               "GRIP proxy (Pushpin, Fanout) that every event is also published to; repeatable")
                 ->envname("GRIP_URL"));
  with_env(serve->add_option("--grip-sig-key", config->grip_sig_key,
                             "Key that verifies the Grip-Sig of requests from the GRIP proxy (Pushpin's [proxy] "
                             "sig_key; base64:... for binary); the --grip-url key= is used too"));
  with_env(serve->add_option("--grip-prefix", config->grip_prefix,
                             "What GRIP publishers put before a channel's percent-encoded name: django-eventstream "
                             "publishes channel 'a b' as 'events-a%20b'; '' takes names as they are")
               ->capture_default_str());
  with_env(serve->add_option("--secret", config->secret,
                             "Signs the links given to GRIP proxies; the same on every instance behind them "
                             "(default: derived from --auth-secret, else random per process)"));
  with_env(serve->add_option("--auth-secret", config->auth_secret,
                             "HS256 secret of user tokens (Authorization: Bearer, ?token= or --auth-cookie)"));
  with_env(serve->add_option("--auth-secret-file", *secret_file, "Read the --auth-secret from this file")
               ->check(CLI::ExistingFile));
  with_env(serve->add_option("--auth-cookie", config->auth_cookie, "Cookie that may carry the user token"));
  with_env(serve->add_option("--auth-leeway", *leeway, "Seconds of clock skew allowed on token exp and nbf")
               ->capture_default_str());
  with_env(serve->add_option("--auth-url", config->auth_url,
                             "Permission webhook: POST {user, channel} per (user, channel); 2xx allows, 401/403 deny"));
  with_env(serve->add_option("--channels-url", config->channels_url,
                             "Channel mapping: POST {path, route, params, query, user} per stream request; the "
                             "answer {\"channels\": [...]} replaces the route's channels, 401/403 refuse"));
  with_env(serve->add_option("--auth-cache", *auth_cache, "Seconds the webhooks' answers are kept")
               ->capture_default_str());
  with_env(serve->add_option("--auth-timeout", *auth_timeout,
                             "Seconds to wait for the webhooks before refusing the stream (internal-error)")
               ->capture_default_str()
               ->check(CLI::Range(1u, 300u)));
  with_env(repeatable(serve->add_option("--private", config->private_globs,
                             "Channels only authenticated users may read, as globs; repeatable (e.g. '_*')")));
  with_env(serve->add_option("--storage", *storage, "Where events are kept: sqlite, memory, redis (shared by instances) or none (live only)")
               ->capture_default_str()
               ->check(CLI::IsMember({"sqlite", "memory", "redis", "none"})));
  with_env(serve->add_option("--redis", config->redis_url,
                             "Redis that instances share (events with --storage redis, live delivery, kicks): "
                             "redis://[:PASSWORD@]HOST[:PORT][/DB], unix:///PATH[?db=N] or a Redis Cluster, "
                             "redis-cluster://[:PASSWORD@]HOST:PORT[,HOST:PORT...]"));
  with_env(serve->add_option("--redis-wait", *redis_wait,
                             "Seconds to wait for --redis at startup before giving up (0: one try)")
               ->capture_default_str());
  with_env(serve->add_option("--redis-replicas", config->redis_replicas,
                             "Replicas that must confirm each append to --storage redis before it is answered "
                             "(Redis WAIT), so that a failover loses nothing answered")
               ->capture_default_str()
               ->check(CLI::Range(0, 16)));
  with_env(serve->add_option("--db", config->db_path, "SQLite database file; created and migrated when missing")
               ->capture_default_str());
  with_env(serve->add_option("--db-max-size", config->db_max_size,
                             "Largest the database may grow, in bytes (0: no limit); publishes beyond it get 503")
               ->capture_default_str());
  with_env(serve->add_option("--sync", *sync,
                             "When a SQLite commit reaches the disk: full (before each answer; survives power "
                             "loss) or normal (at checkpoints; survives a crash, kill -9, not a power loss)")
               ->capture_default_str()
               ->check(CLI::IsMember({"full", "normal"})));
  with_env(serve->add_option("--memory-max-events", config->memory_max_events,
                             "Events kept by --storage memory over all channels (oldest go first)")
               ->capture_default_str()
               ->check(CLI::PositiveNumber));
  with_env(serve->add_option("--retention", *retention, "How long events are kept: e.g. 90s, 15m, 24h, 7d")
               ->capture_default_str());
  with_env(repeatable(serve->add_option("--reliable", *reliable,
                             "Channels whose events are stored, as globs; repeatable (default: " +
                                 joined(config->reliable) + ")")));
  with_env(serve->add_option("--tls-cert", config->tls_cert,
                             "Serve HTTPS (and HTTP/2) with this PEM certificate, followed by its intermediates; "
                             "SIGHUP reads it again"));
  with_env(serve->add_option("--tls-key", config->tls_key, "The --tls-cert's private key (PEM, unencrypted)"));
  with_env(serve->add_flag("--tls-self-signed", config->tls_self_signed,
                           "Serve HTTPS with a throwaway certificate for localhost, 127.0.0.1 and ::1 (local "
                           "development: clients need --insecure, browsers show a warning)"));
  with_env(serve->add_option("--h2-max-streams", config->h2_max_streams,
                             "Most streams open at once on one HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS)")
               ->capture_default_str()
               ->check(CLI::Range(1u, 10000u)));
  with_env(serve->add_option("--mercure-publisher-jwt-key", config->mercure_publisher_key,
                             "Serve a Mercure hub at --mercure-path: the key publishers' JWTs are signed with (HS*: "
                             "the secret; RS*/ES*: a PEM public key, or the file holding it)"));
  with_env(serve->add_option("--mercure-subscriber-jwt-key", config->mercure_subscriber_key,
                             "The key subscribers' JWTs are signed with (default: the publisher key)"));
  with_env(serve->add_option("--mercure-jwt-algorithm", config->mercure_algorithm,
                             "Algorithm of both Mercure keys: HS256, HS384, HS512, RS256, RS384, RS512, ES256, "
                             "ES384 or ES512")
               ->capture_default_str());
  with_env(serve->add_flag("--mercure-anonymous", config->mercure_anonymous,
                           "Let Mercure subscribers without a JWT receive public updates"));
  with_env(repeatable(serve->add_option("--mercure-cors-origin", config->mercure_cors_origins,
                                        "Origin whose pages may subscribe and publish with the hub's cookie; "
                                        "repeatable ('*': any origin, without cookies)")));
  with_env(serve->add_option("--mercure-path", config->mercure_path, "Where the Mercure hub is served")
               ->capture_default_str());
  with_env(serve->add_flag("--mercure-subscriptions", config->mercure_subscriptions,
                           "Serve the Mercure subscriptions API and publish subscription events (presence)"));
  with_env(serve->add_option("--mercure-discovery", config->mercure_discovery,
                             "The hub's URL as clients reach it: sent as Link: <URL>; rel=\"mercure\" on our own "
                             "streams, and the base of relative URL patterns"));
  with_env(serve->add_option("--log-level", *log_level, "error, warn, info or debug")->capture_default_str());
  with_env(serve->add_option("--log-file", config->log_file,
                             "Append log lines to this file instead of standard error; SIGHUP reopens it"));

  return [=]() -> config::ServerConfig {
    set_log_level(parse_log_level(*log_level));
    auto where = config::parse_addrport(*addrport);
    config->host = where.host;
    config->port = where.port;
    if (!publish_addr->empty()) config->publish_addr = config::parse_addrport(*publish_addr);
    config->keep_alive = std::chrono::seconds(*keep_alive);
    config->write_timeout = std::chrono::seconds(*write_timeout);
    if (!routes->empty()) config->routes = *routes;
    if (!reliable->empty()) config->reliable = *reliable;
    config->auth_leeway = std::chrono::seconds(*leeway);
    config->auth_cache = std::chrono::seconds(*auth_cache);
    config->auth_timeout = std::chrono::seconds(*auth_timeout);
    config->redis_wait = std::chrono::seconds(*redis_wait);
    config->header_timeout = std::chrono::seconds(*header_timeout);
    config->retry = std::chrono::milliseconds(*retry);
    if (!config->log_file.empty()) set_log_file(config->log_file);
    if (!secret_file->empty()) {
      std::ifstream in(*secret_file);
      std::getline(in, config->auth_secret);
      if (config->auth_secret.empty())
        throw std::invalid_argument("--auth-secret-file " + *secret_file + " is empty; put the secret on its first line");
    }
    config->retention = config::parse_duration(*retention);
    config->db_sync_normal = *sync == "normal";
    for (auto kind : {config::ServerConfig::Storage::sqlite, config::ServerConfig::Storage::memory,
                      config::ServerConfig::Storage::redis, config::ServerConfig::Storage::none})
      if (config::storage_name(kind) == *storage) config->storage = kind;
    config->mercure_publisher_key = key_text(config->mercure_publisher_key, config->mercure_algorithm);
    config->mercure_subscriber_key = key_text(config->mercure_subscriber_key, config->mercure_algorithm);
    config::validate(*config);
    return *config;
  };
}

Run add_serve_command(CLI::App& app) {
  auto* serve = app.add_subcommand("serve", "Serve event streams and the publish API");
  serve->footer("Examples:\n"
                "  eventstream serve                      # http://127.0.0.1:8000/events/?channel=NAME\n"
                "  eventstream serve 0.0.0.0:8000 --publish-key s3cret\n"
                "  eventstream serve --db /var/lib/eventstream/events.db --retention 7d --reliable 'orders-*'\n"
                "  eventstream serve 8000 --route '/rooms/{room}/events/=room-{room}' --route /events/\n"
                "  eventstream serve --tls-self-signed    # https://127.0.0.1:8000/events/?channel=NAME, HTTP/2\n"
                "  eventstream serve 0.0.0.0:443 --tls-cert fullchain.pem --tls-key privkey.pem\n"
                "  curl -N 'http://127.0.0.1:8000/events/?channel=test'");
  auto config = add_serve_options(serve);
  return [config] { return run_reporting_errors("serve", [&] { server::serve(config()); }); };
}

} // namespace es::cmd
