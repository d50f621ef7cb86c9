#include "grip/link_meta.hpp"

#include "sse/json_text.hpp"

namespace es::grip {

std::string sign_link_meta(const LinkMeta& meta, std::string_view secret) {
  std::string payload = "{\"iss\":\"es\",\"exp\":" + std::to_string(meta.expires) + ",\"channels\":[";
  for (std::size_t i = 0; i < meta.channels.size(); ++i) {
    if (i) payload += ',';
    sse::append_python_json_string(payload, meta.channels[i]);
  }
  payload += "],\"user\":";
  if (meta.user.empty()) payload += "null";
  else sse::append_python_json_string(payload, meta.user);
  if (meta.user_expires) payload += ",\"user_exp\":" + std::to_string(*meta.user_expires);
  payload += '}';
  return auth::sign_hs256(payload, secret);
}

LinkMeta read_link_meta(std::string_view token, std::string_view secret, std::int64_t now) {
  auto payload = auth::verified_hs256_payload(token, secret);
  auto member = [&](const char* name) -> const rapidjson::Value* {
    auto it = payload.FindMember(name);
    return it == payload.MemberEnd() ? nullptr : &it->value;
  };
  const auto *iss = member("iss"), *exp = member("exp"), *channels = member("channels"), *user = member("user");
  if (!iss || !iss->IsString() || std::string_view(iss->GetString()) != "es" || !exp || !exp->IsInt64() ||
      !channels || !channels->IsArray() || !user || !(user->IsNull() || user->IsString()))
    throw auth::TokenError("it is not one this server made");
  const auto* user_exp = member("user_exp");
  if (user_exp && !user_exp->IsInt64()) throw auth::TokenError("it is not one this server made");
  LinkMeta meta;
  meta.expires = exp->GetInt64();
  if (user_exp) meta.user_expires = user_exp->GetInt64();
  if (now >= meta.expires) {
    if (meta.user_expires && now >= *meta.user_expires) throw UserTokenExpired();
    throw auth::TokenError("it has expired");
  }
  for (const auto& channel : channels->GetArray()) {
    if (!channel.IsString()) throw auth::TokenError("it is not one this server made");
    meta.channels.emplace_back(channel.GetString(), channel.GetStringLength());
  }
  if (user->IsString()) meta.user.assign(user->GetString(), user->GetStringLength());
  return meta;
}

} // namespace es::grip
