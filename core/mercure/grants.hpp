#pragma once
// What a verified Mercure token allows: the topics it may publish to and receive private
// updates of, and the payload it attaches to its subscriptions. Read from the 0.x `mercure`
// claim ({publish:[...], subscribe:[...], payload:any}), which clients speak today, and/or the
// 1.0 `authorization_details` claim (RFC 9396 details of type
// "https://mercure.rocks/authorization-detail": actions, topics [{match, match_type?}],
// payload?). A token carrying both gets the union. 0.x selectors are read with
// Selector::topic_selector, 1.0 ones with Selector::exact or url_pattern per match_type.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "mercure/selector.hpp"

namespace es::mercure {

struct Grants {
  std::vector<Selector> publish;
  std::vector<Selector> subscribe;
  std::optional<std::int64_t> expires; // "exp"

  // Every topic matched by some publish selector (and at least one topic).
  bool may_publish(const std::vector<std::string>& topics) const;
  // Some topic matched by some subscribe selector.
  bool may_receive(const std::vector<std::string>& topics) const;
  // JSON text of the payload attached to the subscription made with `subscription`, empty
  // when none: 1.0's first subscribe detail one of whose topics matches subscription.text()
  // (its payload, or none when it has none); when no such detail, the 0.x mercure.payload.
  std::string payload_for(const Selector& subscription) const;

private:
  friend Grants read_grants(const rapidjson::Value& payload, std::string_view base_url);

  // Each 1.0 subscribe detail, in the token's order: its topics and its payload's JSON text
  // (empty when it has none).
  std::vector<std::pair<std::vector<Selector>, std::string>> detail_payloads_;
  std::string claim_payload_;                  // 0.x mercure.payload, JSON text
};

// `payload`: a verified token's payload object; `base_url`: the hub's public URL, against
// which relative URL patterns resolve. Throws auth::TokenError saying which claim is malformed
// (1.0: any malformed Mercure detail rejects the whole token; unknown actions are ignored,
// an unknown match_type rejects; at most 100 details, 100 topics each).
Grants read_grants(const rapidjson::Value& payload, std::string_view base_url);

} // namespace es::mercure
