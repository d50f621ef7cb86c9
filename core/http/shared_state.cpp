#include "http/shared_state.hpp"

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

} // namespace

SharedState::SharedState(const config::ServerConfig& config_, hub::Hubs& hubs_, publish::Publisher& publisher_,
                         storage::Storage* storage_, auth::PermissionWebhook* webhook_)
    : config(config_), routes(build_routes(config_.routes)), stream_headers(build_stream_headers(config_)),
      hubs(hubs_), publisher(publisher_), storage(storage_), reliable(config_.reliable),
      access(auth::AccessSettings{config_.auth_secret, config_.auth_cookie, config_.private_globs,
                                  config_.auth_leeway}),
      webhook(webhook_) {}

} // namespace es::http
