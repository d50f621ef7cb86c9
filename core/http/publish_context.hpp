#pragma once
// What the publish and kick endpoints use of the server: its settings, the publisher,
// the hub (kicks end streams), the GRIP proxies and other instances (kicks reach them),
// and the application (a kick asks it afresh).
#include "auth/channel_mapper.hpp"
#include "auth/webhook.hpp"
#include "config/server_config.hpp"
#include "grip/grip_publisher.hpp"
#include "http/publish_credentials.hpp"
#include "hub/hub.hpp"
#include "publish/publisher.hpp"
#include "redis/redis_fanout.hpp"
#include "storage/reader_pool.hpp"

namespace es::http {

struct PublishContext {
  const config::ServerConfig& config;
  publish::Publisher& publisher;
  hub::Hubs& hubs;
  grip::GripPublisher* const grip;        // null: no --grip-url
  redis::RedisFanout* const fanout;       // null: no --redis (one instance)
  auth::PermissionWebhook* const webhook; // null: no --auth-url
  auth::ChannelMapper* const mapper;      // null: no --channels-url
  storage::ReaderPool* const readers;     // runs a kick's Redis PUBLISH; null without storage or Redis
  const PublishCredentials credentials;   // checks --publish-key
};

} // namespace es::http
