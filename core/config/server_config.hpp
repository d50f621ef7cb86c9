#pragma once
// Everything `eventstream serve` can be told. Its defaults are written here only: the
// command line starts from a default-constructed ServerConfig, and config::validate
// holds the rules between options.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/addrport.hpp"

namespace es::config {

struct ServerConfig {
  std::string host = "127.0.0.1";
  unsigned short port = 8000;
  unsigned threads = 0; // 0: one per core

  std::vector<std::string> routes{"/events/"};
  std::chrono::seconds keep_alive{20};
  std::chrono::seconds write_timeout{60}; // a stream whose write is stuck this long is closed
  std::size_t channel_limit = 10;
  std::size_t subscriber_queue = 1000;            // events waiting per stream before it is reset
  std::size_t subscriber_queue_bytes = 1 << 20;   // and their bytes
  std::size_t max_channel_length = 128;
  std::chrono::milliseconds retry{3000}; // clients reconnect after this plus up to as much again, at random

  // What one client may cost before it is refused (SECURITY.md).
  std::size_t max_connections = 0; // 0: the open-files limit less what the server needs itself
  std::size_t max_connections_per_address = 0; // 0: no limit (behind a proxy, every client has the proxy's address)
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_headers = 100;
  std::size_t max_request_line = 8 * 1024;
  std::chrono::seconds header_timeout{10}; // to send a request head, or to start the next one
  std::size_t max_batch = 10000;           // events in one publish request

  std::string allow_origin;
  bool allow_credentials = false;
  std::string allow_headers;

  std::string publish_key;
  // A second listener for the publish and kick API only (and /metrics, /healthz, /readyz),
  // on a port no proxy forwards to; with it, the main listener does not serve publishing.
  std::optional<AddrPort> publish_addr;
  std::vector<std::string> grip_urls; // GRIP proxies every event is also published to
  std::string grip_sig_key;           // verifies Grip-Sig ("base64:" for binary), besides the URLs' keys
  std::string secret;                 // signs the links given to GRIP proxies; empty: random per process
  std::string grip_prefix = "events-"; // what GRIP publishers put before a channel's percent-encoded name

  std::string auth_secret; // HS256 secret of user tokens; empty: no tokens
  std::string auth_cookie; // cookie that may carry the token
  std::vector<std::string> private_globs;
  std::chrono::seconds auth_leeway{5};
  std::string auth_url;                        // permission webhook; empty: none
  std::string channels_url;                    // channel mapping; empty: the routes pick channels
  std::chrono::seconds auth_cache{30};         // how long its answers are kept
  std::chrono::milliseconds auth_timeout{5000};
  std::size_t max_body = 1 << 20;

  enum class Storage { sqlite, memory, redis, none } storage = Storage::sqlite;
  std::string redis_url; // --redis: where --storage redis keeps events
  std::chrono::seconds redis_wait{30}; // how long to wait for it at startup
  int redis_replicas = 0; // --redis-replicas: replicas that must confirm each append (WAIT)
  std::string db_path = "eventstream.db";
  std::uint64_t db_max_size = 0; // bytes; 0: no limit
  bool db_sync_normal = false;   // --sync normal: commits do not wait for the disk (storage::Sync)
  std::size_t memory_max_events = 1000000;
  std::chrono::seconds retention{24 * 3600};
  std::vector<std::string> reliable{"*"};

  std::string log_file; // empty: standard error; SIGHUP reopens it

  // HTTPS: a PEM certificate chain and its key, read again on SIGHUP; or a throwaway
  // certificate for localhost, made at start.
  std::string tls_cert;
  std::string tls_key;
  bool tls_self_signed = false;
  bool tls() const { return tls_self_signed || !tls_cert.empty(); }
  std::uint32_t h2_max_streams = 100; // SETTINGS_MAX_CONCURRENT_STREAMS of each HTTP/2 connection

  // The Mercure hub (docs/mercure.md), on when it has a publisher key.
  std::string mercure_publisher_key;  // HS*: the secret; RS*/ES*: a PEM public key
  std::string mercure_subscriber_key; // empty: the publisher key
  std::string mercure_algorithm = "HS256";
  bool mercure_anonymous = false;
  std::vector<std::string> mercure_cors_origins;
  std::string mercure_path = "/.well-known/mercure";
  bool mercure_subscriptions = false;
  std::string mercure_discovery; // the hub's public URL: our streams' Link header
  bool mercure() const { return !mercure_publisher_key.empty(); }
};

} // namespace es::config
