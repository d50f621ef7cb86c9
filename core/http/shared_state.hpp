#pragma once
// What every connection of one server shares: settings, routes, the hub, the publisher.
#include <atomic>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "auth/access.hpp"
#include "auth/webhook.hpp"
#include "config/server_config.hpp"
#include "grip/grip_publisher.hpp"
#include "grip/grip_sig.hpp"
#include "http/address_limit.hpp"
#include "http/header_list.hpp"
#include "hub/hub.hpp"
#include "publish/publisher.hpp"
#include "redis/redis_fanout.hpp"
#include "storage/reader_pool.hpp"
#include "storage/storage.hpp"
#include "stream/routes.hpp"
#include "util/glob_set.hpp"

namespace es::http {

struct SharedState {
  SharedState(const config::ServerConfig& config_, hub::Hubs& hubs_, publish::Publisher& publisher_,
              AddressLimit& addresses_,
              storage::Storage* storage_, storage::ReaderPool* readers_, auth::PermissionWebhook* webhook_,
              const std::vector<grip::Proxy>& proxies,
              grip::GripPublisher* grip_, redis::RedisFanout* fanout_);

  const config::ServerConfig& config;
  const stream::RouteTable routes;
  const std::size_t max_connections; // --max-connections, resolved
  // --max-connections-per-address; it must outlive the I/O threads' io_contexts, whose
  // destruction destroys the connections still open and so releases their addresses.
  AddressLimit& addresses;
  // Headers of every stream response, errors included: SSE's own, then CORS as configured.
  const HeaderList stream_headers;
  hub::Hubs& hubs; // one shard per I/O thread
  publish::Publisher& publisher;
  storage::Storage* const storage; // null: live only
  // Where storage reads and Redis calls run, off the I/O threads; null when there is
  // neither storage nor Redis.
  storage::ReaderPool* const readers;
  const GlobSet reliable;          // the channels that are stored
  const auth::Access access;
  auth::PermissionWebhook* const webhook; // null: no --auth-url
  const grip::SignatureCheck grip_sig;    // which requests come from our GRIP proxies
  const std::string link_secret;          // signs the es-meta of the links given to them
  grip::GripPublisher* const grip;        // null: no --grip-url
  redis::RedisFanout* const fanout;       // null: no --redis (one instance)

  // Why the server should get no traffic now (storage or Redis unreachable), or "":
  // /readyz. It reads storage: call it on a reader thread.
  std::string unready() const;

  // Where the listeners are ("http://127.0.0.1:8000"), for the answers that send a client
  // to the other one; set by serve() once both are bound, before either accepts.
  // publish_url is "" without --publish-addr.
  std::string stream_url;
  std::string publish_url;
  // "/publish/", or its full URL on the --publish-addr listener.
  std::string publish_location() const { return publish_url + "/publish/"; }

  // Publish and kick requests accepted but not yet answered: shutdown waits for them, so
  // that a publisher is not left without the answer for events that were committed.
  std::atomic<std::size_t> publishes_unanswered{0};
};

} // namespace es::http
