#include "config/validate.hpp"

#include <stdexcept>
#include <utility>

#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/trim.hpp>

#include "redis/redis_url.hpp"
#include "util/url.hpp"

namespace es::config {

void validate(const ServerConfig& config) {
  if (config.tls_self_signed && (!config.tls_cert.empty() || !config.tls_key.empty()))
    throw std::invalid_argument("--tls-self-signed makes its own certificate: give it alone, or --tls-cert and "
                                "--tls-key without it");
  if (!config.tls_cert.empty() && config.tls_key.empty())
    throw std::invalid_argument("--tls-cert needs --tls-key FILE, the certificate's private key (PEM)");
  if (config.tls_cert.empty() && !config.tls_key.empty())
    throw std::invalid_argument("--tls-key needs --tls-cert FILE, the certificate (PEM, with its intermediates)");
  // A browser drops the spaces around the value it reads; case is compared loosely so that
  // no spelling of these two slips through.
  auto origin = boost::algorithm::trim_copy(config.allow_origin);
  if (config.allow_credentials && origin == "*")
    throw std::invalid_argument("--allow-credentials with --allow-origin '*' would let any web site read streams "
                                "with its visitors' cookies (browsers refuse it anyway); name the one origin "
                                "allowed, e.g. --allow-origin https://app.example.com");
  if (config.allow_credentials && boost::algorithm::iequals(origin, "null"))
    throw std::invalid_argument("--allow-credentials with --allow-origin null would let any page read streams "
                                "with its visitors' cookies: every sandboxed iframe, file:// page and data: URL "
                                "sends 'Origin: null', whoever wrote it; name the one origin allowed, e.g. "
                                "--allow-origin https://app.example.com");
  if (!config.publish_key.empty() && config.publish_key == config.auth_secret)
    throw std::invalid_argument("--publish-key and --auth-secret are the same: every user's token would then also "
                                "publish (a publish key may be an HS256 JWT signed with it); give them different "
                                "secrets");
  for (unsigned char c : config.grip_prefix)
    if (c < 0x20 || c == 0x7f)
      throw std::invalid_argument("--grip-prefix has a control character; it is the text before channel names, "
                                  "e.g. events-");
  for (auto [flag, url] : {std::pair{"--auth-url", &config.auth_url}, std::pair{"--channels-url", &config.channels_url}})
    if (!url->empty() && !boost::algorithm::istarts_with(*url, "http://") && !boost::algorithm::istarts_with(*url, "https://"))
      throw std::invalid_argument(std::string(flag) + " '" + redacted_url(*url) + "' is not an http:// or https:// URL; "
                                  "give the application's endpoint, e.g. " + flag + " http://127.0.0.1:8001/eventstream/");
  if (!config.mercure() && (!config.mercure_subscriber_key.empty() || config.mercure_anonymous ||
                            !config.mercure_cors_origins.empty() || config.mercure_subscriptions ||
                            !config.mercure_discovery.empty() || config.mercure_path != ServerConfig().mercure_path))
    throw std::invalid_argument("the --mercure-* options configure the Mercure hub, which is on only with "
                                "--mercure-publisher-jwt-key KEY (the key publishers' JWTs are signed with)");
  if (config.mercure() && (config.mercure_path.size() < 2 || config.mercure_path.front() != '/' ||
                           config.mercure_path.back() == '/' || config.mercure_path.find_first_of("?#%") != std::string::npos))
    throw std::invalid_argument("--mercure-path '" + config.mercure_path + "' is not a path: give one like "
                                "/.well-known/mercure (starting with /, not ending with one, without ? # or %)");
  if (config.mercure() && !config.mercure_discovery.empty() &&
      !boost::algorithm::istarts_with(config.mercure_discovery, "http://") &&
      !boost::algorithm::istarts_with(config.mercure_discovery, "https://"))
    throw std::invalid_argument("--mercure-discovery '" + redacted_url(config.mercure_discovery) + "' is not an http:// or "
                                "https:// URL; give the hub's URL as browsers reach it, e.g. "
                                "https://example.com/.well-known/mercure");
  if (config.db_sync_normal && config.storage != ServerConfig::Storage::sqlite)
    throw std::invalid_argument("--sync normal decides when SQLite's commits reach the disk: it applies to --storage "
                                "sqlite only, not " + storage_name(config.storage) + " (for Redis, set its "
                                "appendfsync); drop it");
  if (config.storage == ServerConfig::Storage::redis && config.redis_url.empty())
    throw std::invalid_argument("--storage redis needs --redis URL, e.g. --redis redis://127.0.0.1:6379");
  if (!config.redis_url.empty() &&
      (config.storage == ServerConfig::Storage::sqlite || config.storage == ServerConfig::Storage::memory))
    throw std::invalid_argument("--redis shares events between instances, whose ids must agree: use it with "
                                "--storage redis (or none, live only), not " + storage_name(config.storage));
  if (config.redis_replicas > 0 && config.storage != ServerConfig::Storage::redis)
    throw std::invalid_argument("--redis-replicas makes each append to Redis wait for its replicas: it needs --storage "
                                "redis, not " + storage_name(config.storage));
  if (!config.redis_url.empty()) redis::parse_redis_target(config.redis_url); // says what is wrong with it
}

std::vector<std::string> warnings(const ServerConfig& config, bool verifies_grip_sig) {
  std::vector<std::string> lines;
  bool grip = !config.grip_urls.empty();
  if (!config.private_globs.empty() && config.auth_secret.empty())
    lines.emplace_back("--private without --auth-secret: nobody can read the private channels");
  if (grip && !verifies_grip_sig)
    lines.emplace_back("no key to verify Grip-Sig with: requests through the GRIP proxy are streamed by this "
                       "server instead of held by the proxy; give --grip-sig-key the proxy's signing key "
                       "(Pushpin: [proxy] sig_key)");
  if (!grip && verifies_grip_sig)
    lines.emplace_back("--grip-sig-key without --grip-url: the proxy holds streams, but events published here "
                       "never reach it; add --grip-url with its publish endpoint");
  if (verifies_grip_sig && config.secret.empty() && config.auth_secret.empty() && !config.auth_url.empty())
    lines.emplace_back("links given to the GRIP proxy are signed with a random secret: after a restart, or on "
                       "another instance, the users they name are lost and --auth-url is asked about anonymous; "
                       "give every instance the same --secret");
  if ((grip || verifies_grip_sig) && config.publish_key.empty() && !config.publish_addr)
    lines.emplace_back("a GRIP proxy without --publish-key or --publish-addr: publishing is open to any loopback "
                       "request without a proxy header (Grip-Sig, X-Forwarded-For, ...); requests through Pushpin "
                       "have one and get 403, but through a proxy that adds none anyone could publish; give "
                       "--publish-key, or --publish-addr on a port no proxy routes to");
  if (grip && config.max_connections_per_address)
    lines.emplace_back("--max-connections-per-address with --grip-url: every request through the GRIP proxy "
                       "comes from its address, so all of them share one limit; set it only where clients "
                       "connect directly");
  if (config.storage == ServerConfig::Storage::redis && config.redis_url.starts_with("redis-cluster://") &&
      config.redis_replicas == 0)
    lines.emplace_back("a Redis Cluster without --redis-replicas: Redis replicates asynchronously, so a primary "
                       "that fails over right after an append loses it, and the replica that takes over counts "
                       "its channel's ids again from before it; give --redis-replicas 1 (and each primary two "
                       "replicas, so that appends go on after a failover)");
  return lines;
}

std::string storage_name(ServerConfig::Storage storage) {
  switch (storage) {
  case ServerConfig::Storage::sqlite: return "sqlite";
  case ServerConfig::Storage::memory: return "memory";
  case ServerConfig::Storage::redis: return "redis";
  case ServerConfig::Storage::none: return "none";
  }
  return "none";
}

} // namespace es::config
