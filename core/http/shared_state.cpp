#include "http/shared_state.hpp"

#include <sys/resource.h>

#include <stdexcept>

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

} // namespace

std::string SharedState::unready() const {
  if (stream.storage) {
    try {
      stream.storage->range("eventstream:readyz");
    } catch (const std::exception& e) {
      return std::string("storage unavailable: ") + e.what();
    }
  }
  if (fanout && !fanout->subscribed()) return "Redis unreachable: events published on other instances do not arrive";
  return "";
}

SharedState::SharedState(const config::ServerConfig& config_, hub::Hubs& hubs_, publish::Publisher& publisher_,
                         AddressLimit& addresses_, storage::Storage* storage, storage::ReaderPool* readers,
                         auth::PermissionWebhook* webhook_, auth::ChannelMapper* mapper_,
                         const std::vector<grip::Proxy>& proxies,
                         grip::GripPublisher* grip_publisher, redis::RedisFanout* fanout_)
    : config(config_), routes(build_routes(config_)), max_connections(resolve_max_connections(config_)),
      addresses(addresses_), hubs(hubs_), webhook(webhook_), mapper(mapper_),
      grip_sig(proxies, grip::decode_key(config_.grip_sig_key, "--grip-sig-key")), fanout(fanout_),
      stream(config_, storage, readers), publishing{config_, publisher_, hubs_, grip_publisher, fanout_, webhook_, mapper_, readers, PublishCredentials(config_.publish_key)} {}

} // namespace es::http
