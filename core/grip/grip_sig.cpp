#include "grip/grip_sig.hpp"

#include "auth/jwt.hpp"

namespace es::grip {

SignatureCheck::SignatureCheck(const std::vector<Proxy>& proxies, const std::string& extra_key) {
  for (const auto& proxy : proxies) {
    const std::string& secret = proxy.verify_key.empty() ? proxy.key : proxy.verify_key;
    if (!secret.empty()) keys_.push_back({secret, proxy.verify_iss});
  }
  if (!extra_key.empty()) keys_.push_back({extra_key, ""});
}

std::string SignatureCheck::refusal(std::string_view grip_sig, std::chrono::system_clock::time_point now) const {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::string why;
  for (const auto& key : keys_) {
    try {
      auto payload = auth::verified_hs256_payload(grip_sig, key.secret);
      auto exp = payload.FindMember("exp");
      // As gripcontrol: an integer exp is required, and a signature without one is refused.
      if (exp == payload.MemberEnd() || !exp->value.IsInt64()) throw auth::TokenError("it has no integer \"exp\"");
      if (seconds >= exp->value.GetInt64()) throw auth::TokenError("it has expired");
      if (!key.iss.empty()) {
        auto iss = payload.FindMember("iss");
        if (iss == payload.MemberEnd() || !iss->value.IsString() || key.iss != iss->value.GetString())
          throw auth::TokenError("its \"iss\" is not " + key.iss);
      }
      return "";
    } catch (const auth::TokenError& e) {
      if (why.empty()) why = e.what(); // the first key's reason: usually the only key
    }
  }
  return why;
}

} // namespace es::grip
