#pragma once
// What every connection of one server shares: settings, routes, the hub, the publisher.
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "auth/channel_mapper.hpp"
#include "auth/webhook.hpp"
#include "config/server_config.hpp"
#include "grip/grip_sig.hpp"
#include "http/address_limit.hpp"
#include "http/publish_context.hpp"
#include "hub/hub.hpp"
#include "mercure/mercure_hub.hpp"
#include "redis/redis_fanout.hpp"
#include "storage/storage.hpp"
#include "stream/routes.hpp"
#include "stream/stream_context.hpp"
#include "tls/server_tls.hpp"

namespace es::http {

struct SharedState {
  SharedState(const config::ServerConfig& config_, hub::Hubs& hubs_, publish::Publisher& publisher,
              AddressLimit& addresses_, storage::Storage* storage, storage::ReaderPool* readers,
              auth::PermissionWebhook* webhook_, auth::ChannelMapper* mapper_,
              const std::vector<grip::Proxy>& proxies,
              grip::GripPublisher* grip_publisher, redis::RedisFanout* fanout_);

  const config::ServerConfig& config;
  const stream::RouteTable routes;
  const std::size_t max_connections; // --max-connections, resolved
  // --max-connections-per-address; it must outlive the I/O threads' io_contexts, whose
  // destruction destroys the connections still open and so releases their addresses.
  AddressLimit& addresses;
  hub::Hubs& hubs; // one shard per I/O thread
  auth::PermissionWebhook* const webhook; // null: no --auth-url
  auth::ChannelMapper* const mapper;      // null: no --channels-url
  const grip::SignatureCheck grip_sig;    // which requests come from our GRIP proxies
  redis::RedisFanout* const fanout;       // null: no --redis (one instance)
  // What the stream domain (core/stream/) and the publish endpoints get to see.
  const stream::StreamContext stream;
  const PublishContext publishing;

  // Why the server should get no traffic now (storage or Redis unreachable), or "":
  // /readyz. It reads storage: call it on a reader thread.
  std::string unready() const;

  // Where the listeners are ("http://127.0.0.1:8000"), for the answers that send a client
  // to the other one; set by serve() once both are bound, before either accepts.
  // publish_url is "" without --publish-addr.
  std::string stream_url;
  std::string publish_url;
  // The certificate and settings every new connection handshakes with; null: plain HTTP.
  // Set by serve() with the URLs.
  std::shared_ptr<tls::ServerTls> tls;
  // The Mercure hub at --mercure-path; null without --mercure-publisher-jwt-key. Set by
  // serve() with the URLs.
  mercure::MercureHub* mercure = nullptr;
  // "/publish/", or its full URL on the --publish-addr listener.
  std::string publish_location() const { return publish_url + "/publish/"; }

  // Publish and kick requests accepted but not yet answered: shutdown waits for them, so
  // that a publisher is not left without the answer for events that were committed.
  std::atomic<std::size_t> publishes_unanswered{0};

  // Set by serve() at SIGTERM, before the hub closes every stream: an HTTP/2 connection
  // whose last stream ends then says GOAWAY and closes.
  std::atomic<bool> shutting_down{false};
};

} // namespace es::http
