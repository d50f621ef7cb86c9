#pragma once
// The publishing pipeline: validated items -> (storage, later) -> encode once -> hub.
#include <cstdint>
#include <optional>
#include <vector>

#include "hub/hub.hpp"
#include "publish/publish_request.hpp"

namespace es::publish {

class Publisher {
public:
  explicit Publisher(hub::Hub& hub) : hub_(hub) {}

  // Returns each event's stored id, or nullopt for an event delivered live only.
  std::vector<std::optional<std::uint64_t>> publish(const std::vector<PublishItem>& items);

private:
  hub::Hub& hub_;
};

} // namespace es::publish
