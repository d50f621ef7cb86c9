#include "http/shared_state.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/resource.h>

#include <stdexcept>

#include "http/safe_fields.hpp"

namespace es::http {
namespace {

stream::RouteTable build_routes(const config::ServerConfig& config) {
  std::vector<stream::Route> routes;
  for (const auto& spec : config.routes) routes.push_back(stream::Route::parse(spec));
  return stream::RouteTable(std::move(routes), config.channel_limit);
}

// Every connection is a file: by default as many as the open-files limit allows, less
// what the server itself needs (its database, Redis, proxies, webhook, logs).
std::size_t resolve_max_connections(const config::ServerConfig& config) {
  constexpr std::size_t reserve = 64;
  if (config.max_connections) return config.max_connections;
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == RLIM_INFINITY) return 1000000;
  return files.rlim_cur > 2 * reserve ? files.rlim_cur - reserve : files.rlim_cur / 2;
}

// The reference sends fixed CORS values whatever the request's Origin says.
// Values from flags are checked here, at start: one that cannot be a header would fail
// every stream later.
HeaderList build_stream_headers(const config::ServerConfig& config) {
  HeaderList headers{{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
  auto from_flag = [&](const char* flag, const char* name, const std::string& value) {
    try {
      check_header_field(name, value);
    } catch (const BadHeaderField& e) {
      throw std::invalid_argument(std::string(flag) + " cannot be sent: " + e.what() +
                                  "; give it a value on one line, without control characters");
    }
    headers.emplace_back(name, value);
  };
  if (!config.allow_origin.empty()) from_flag("--allow-origin", "Access-Control-Allow-Origin", config.allow_origin);
  if (config.allow_credentials) headers.emplace_back("Access-Control-Allow-Credentials", "true");
  if (!config.allow_headers.empty())
    from_flag("--allow-headers", "Access-Control-Allow-Headers", config.allow_headers);
  return headers;
}

// --secret; else one derived from --auth-secret, which every instance of a deployment
// shares; else a random one, whose links other instances (and this one after a restart)
// cannot read.
std::string link_secret_of(const config::ServerConfig& config) {
  if (!config.secret.empty()) return config.secret;
  unsigned char bytes[EVP_MAX_MD_SIZE];
  unsigned int size = 32;
  if (!config.auth_secret.empty()) {
    constexpr std::string_view purpose = "eventstream GRIP link es-meta";
    HMAC(EVP_sha256(), config.auth_secret.data(), static_cast<int>(config.auth_secret.size()),
         reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size(), bytes, &size);
  } else if (RAND_bytes(bytes, static_cast<int>(size)) != 1) {
    throw std::runtime_error("cannot get random bytes for the GRIP link secret; pass --secret");
  }
  return {reinterpret_cast<const char*>(bytes), size};
}

} // namespace

std::string SharedState::unready() const {
  if (storage) {
    try {
      storage->range("eventstream:readyz");
    } catch (const std::exception& e) {
      return std::string("storage unavailable: ") + e.what();
    }
  }
  if (fanout && !fanout->subscribed()) return "Redis unreachable: events published on other instances do not arrive";
  return "";
}

SharedState::SharedState(const config::ServerConfig& config_, hub::Hubs& hubs_, publish::Publisher& publisher_,
                         AddressLimit& addresses_,
                         storage::Storage* storage_, storage::ReaderPool* readers_, auth::PermissionWebhook* webhook_,
                         const std::vector<grip::Proxy>& proxies, grip::GripPublisher* grip_,
                         redis::RedisFanout* fanout_)
    : config(config_), routes(build_routes(config_)), max_connections(resolve_max_connections(config_)),
      addresses(addresses_),
      stream_headers(build_stream_headers(config_)),
      hubs(hubs_), publisher(publisher_), storage(storage_), readers(readers_), reliable(config_.reliable),
      access(auth::AccessSettings{config_.auth_secret, config_.auth_cookie, config_.private_globs,
                                  config_.auth_leeway}),
      webhook(webhook_), grip_sig(proxies, grip::decode_key(config_.grip_sig_key, "--grip-sig-key")),
      link_secret(link_secret_of(config_)), grip(grip_), fanout(fanout_) {}

} // namespace es::http
