#pragma once
// The Mercure hub (docs/mercure.md) beside our own protocol: its settings and keys, and
// what it remembers of the updates its hub shards get (recent ids, active
// subscriptions). Publishing and streaming are ours: its updates go through the same
// publisher, storage and Redis fan-out, and its subscribers are our streams.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "auth/jwt_verifier.hpp"
#include "hub/event.hpp"
#include "mercure/presence.hpp"
#include "mercure/recent_ids.hpp"

namespace es::mercure {

struct HubSettings {
  std::string path = "/.well-known/mercure"; // --mercure-path
  std::string public_url; // --mercure-discovery: the hub as clients reach it; base of relative URL patterns
  bool anonymous = false;     // subscribers without a token get public updates
  bool subscriptions = false; // the subscriptions API and subscription events
  std::vector<std::string> cors_origins; // "*": any origin, without credentials
  std::string cookie = "mercureAuthorization";
  std::chrono::seconds leeway{5};
};

class MercureHub {
public:
  MercureHub(HubSettings settings, auth::JwtVerifier publisher_key, auth::JwtVerifier subscriber_key);

  const HubSettings& settings() const { return settings_; }
  const auth::JwtVerifier& publisher_key() const { return publisher_key_; }
  const auth::JwtVerifier& subscriber_key() const { return subscriber_key_; }
  RecentIds& recent() { return recent_; }
  const RecentIds& recent() const { return recent_; }
  const Presence& presence() const { return presence_; }

  // Every batch the hub shards are handed, on the thread that hands it over.
  void observe(const std::vector<hub::EventPtr>& events);

private:
  const HubSettings settings_;
  const auth::JwtVerifier publisher_key_;
  const auth::JwtVerifier subscriber_key_;
  RecentIds recent_{100000};
  Presence presence_;
};

} // namespace es::mercure
