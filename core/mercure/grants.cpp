#include "mercure/grants.hpp"

#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "auth/jwt.hpp"
#include "auth/jwt_parts.hpp"

namespace es::mercure {
namespace {

using auth::TokenError;

constexpr std::string_view mercure_detail_type = "https://mercure.rocks/authorization-detail";
constexpr rapidjson::SizeType max_details = 100;
constexpr rapidjson::SizeType max_topics = 100;

std::string_view text_of(const rapidjson::Value& value) { return {value.GetString(), value.GetStringLength()}; }

std::string json_text(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer); // depth bounded by read_json's limit
  return {buffer.GetString(), buffer.GetSize()};
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// 0.x: {"publish": [...], "subscribe": [...], "payload": any}.
void read_mercure_claim(const rapidjson::Value& claim, Grants& grants, std::string& payload) {
  if (!claim.IsObject()) throw TokenError("the token's mercure claim must be an object");
  for (auto [name, selectors] : {std::pair{"publish", &grants.publish}, std::pair{"subscribe", &grants.subscribe}}) {
    const auto* list = member(claim, name);
    if (!list) continue;
    std::string problem = std::string("the mercure claim's ") + name + " must be an array of strings";
    if (!list->IsArray()) throw TokenError(problem);
    for (const auto& entry : list->GetArray()) {
      if (!entry.IsString()) throw TokenError(problem);
      try {
        selectors->push_back(Selector::topic_selector(text_of(entry)));
      } catch (const SelectorError& e) {
        throw TokenError(std::string("the mercure claim's ") + name + " has a selector that is too large: " + e.what());
      }
    }
  }
  if (const auto* data = member(claim, "payload")) payload = json_text(*data);
}

std::vector<Selector> read_detail_topics(const rapidjson::Value* topics, std::string_view base_url) {
  constexpr const char* problem =
      "a Mercure authorization detail's topics must be a non-empty array of objects with a string match";
  if (!topics || !topics->IsArray() || topics->Empty()) throw TokenError(problem);
  if (topics->Size() > max_topics) throw TokenError("a Mercure authorization detail has more than 100 topics");
  std::vector<Selector> selectors;
  for (const auto& topic : topics->GetArray()) {
    const auto* match = topic.IsObject() ? member(topic, "match") : nullptr;
    if (!match || !match->IsString()) throw TokenError(problem);
    const auto* type = member(topic, "match_type");
    if (type && !type->IsString()) throw TokenError("a Mercure authorization detail's match_type must be a string");
    std::string_view match_type = type ? text_of(*type) : "exact";
    try {
      if (match_type == "exact")
        selectors.push_back(Selector::exact(text_of(*match)));
      else if (match_type == "urlpattern")
        selectors.push_back(Selector::url_pattern(text_of(*match), base_url));
      else
        throw TokenError("a Mercure authorization detail's match_type must be \"exact\" or \"urlpattern\"");
    } catch (const SelectorError& e) {
      throw TokenError(std::string("a Mercure authorization detail's topic is not a valid matcher: ") + e.what());
    }
  }
  return selectors;
}

// 1.0: RFC 9396 details; those of other types are someone else's and ignored.
void read_authorization_details(const rapidjson::Value& details, std::string_view base_url, Grants& grants,
                                std::vector<std::pair<std::vector<Selector>, std::string>>& payloads) {
  if (!details.IsArray()) throw TokenError("the token's authorization_details must be an array");
  if (details.Size() > max_details) throw TokenError("the token has more than 100 authorization_details");
  for (const auto& detail : details.GetArray()) {
    const auto* type = detail.IsObject() ? member(detail, "type") : nullptr;
    if (!type || !type->IsString())
      throw TokenError("each of the token's authorization_details must be an object with a string type");
    if (text_of(*type) != mercure_detail_type) continue;

    const auto* actions = member(detail, "actions");
    constexpr const char* actions_problem = "a Mercure authorization detail's actions must be a non-empty array of strings";
    if (!actions || !actions->IsArray() || actions->Empty()) throw TokenError(actions_problem);
    bool publish = false, subscribe = false;
    for (const auto& action : actions->GetArray()) {
      if (!action.IsString()) throw TokenError(actions_problem);
      publish = publish || text_of(action) == "publish";
      subscribe = subscribe || text_of(action) == "subscribe";
    }
    auto topics = read_detail_topics(member(detail, "topics"), base_url);
    std::string payload;
    if (const auto* data = member(detail, "payload")) {
      if (!data->IsObject()) throw TokenError("a Mercure authorization detail's payload must be an object");
      payload = json_text(*data);
    }
    if (publish) grants.publish.insert(grants.publish.end(), topics.begin(), topics.end());
    if (subscribe) {
      grants.subscribe.insert(grants.subscribe.end(), topics.begin(), topics.end());
      payloads.emplace_back(std::move(topics), std::move(payload));
    }
  }
}

bool any_matches(const std::vector<Selector>& selectors, std::string_view topic) {
  return std::any_of(selectors.begin(), selectors.end(), [&](const Selector& s) { return s.matches(topic); });
}

} // namespace

bool Grants::may_publish(const std::vector<std::string>& topics) const {
  return !topics.empty() &&
         std::all_of(topics.begin(), topics.end(), [&](const std::string& t) { return any_matches(publish, t); });
}

bool Grants::may_receive(const std::vector<std::string>& topics) const {
  return std::any_of(topics.begin(), topics.end(), [&](const std::string& t) { return any_matches(subscribe, t); });
}

std::string Grants::payload_for(const Selector& subscription) const {
  for (const auto& [topics, payload] : detail_payloads_)
    if (any_matches(topics, subscription.text())) return payload;
  return claim_payload_;
}

Grants read_grants(const rapidjson::Value& payload, std::string_view base_url) {
  if (!payload.IsObject()) throw TokenError("the token's payload is not a JSON object");
  Grants grants;
  grants.expires = auth::jwt_time_claim(payload, "exp");
  if (const auto* claim = member(payload, "mercure")) read_mercure_claim(*claim, grants, grants.claim_payload_);
  if (const auto* details = member(payload, "authorization_details"))
    read_authorization_details(*details, base_url, grants, grants.detail_payloads_);
  return grants;
}

} // namespace es::mercure
