#include "http/shared_state.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace es::http {
namespace {

RouteTable build_routes(const std::vector<std::string>& specs) {
  std::vector<Route> routes;
  for (const auto& spec : specs) routes.push_back(Route::parse(spec));
  return RouteTable(std::move(routes));
}

// The reference sends fixed CORS values whatever the request's Origin says.
HeaderList build_stream_headers(const config::ServerConfig& config) {
  HeaderList headers{{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
  if (!config.allow_origin.empty()) headers.emplace_back("Access-Control-Allow-Origin", config.allow_origin);
  if (config.allow_credentials) headers.emplace_back("Access-Control-Allow-Credentials", "true");
  if (!config.allow_headers.empty()) headers.emplace_back("Access-Control-Allow-Headers", config.allow_headers);
  return headers;
}

// Links made with it stop working when the process restarts, and other instances cannot
// read them: the proxy then ends those streams and their clients reconnect. --secret
// avoids that.
std::string random_secret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("cannot get random bytes for the link secret");
  return {reinterpret_cast<const char*>(bytes), sizeof bytes};
}

} // namespace

SharedState::SharedState(const config::ServerConfig& config_, hub::Hubs& hubs_, publish::Publisher& publisher_,
                         storage::Storage* storage_, auth::PermissionWebhook* webhook_,
                         const std::vector<grip::Proxy>& proxies, grip::GripPublisher* grip_)
    : config(config_), routes(build_routes(config_.routes)), stream_headers(build_stream_headers(config_)),
      hubs(hubs_), publisher(publisher_), storage(storage_), reliable(config_.reliable),
      access(auth::AccessSettings{config_.auth_secret, config_.auth_cookie, config_.private_globs,
                                  config_.auth_leeway}),
      webhook(webhook_), grip_sig(proxies, grip::decode_key(config_.grip_sig_key, "--grip-sig-key")),
      link_secret(config_.secret.empty() ? random_secret() : config_.secret), grip(grip_) {}

} // namespace es::http
