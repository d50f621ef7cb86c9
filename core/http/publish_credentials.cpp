#include "http/publish_credentials.hpp"

#include <openssl/crypto.h>

#include <optional>

#include "auth/bearer.hpp"

namespace es::http {
namespace {

bool same_secret(std::string_view given, std::string_view expected) {
  return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

} // namespace

PublishCredentials::PublishCredentials(const std::string& key)
    : key_(key), bytes_(grip::decode_key(key, "--publish-key")), tokens_({}, bytes_) {}

std::string PublishCredentials::refusal(std::string_view authorization,
                                        std::chrono::system_clock::time_point now) const {
  std::optional<std::string> given;
  if (auto bearer = auth::bearer_credentials(authorization)) given.emplace(*bearer);
  else given = auth::basic_password(authorization);
  if (!given) return "the Authorization header is neither Bearer nor Basic credentials";
  // Both compared, so the time taken does not tell which form is near.
  bool as_configured = same_secret(*given, key_);
  bool as_bytes = same_secret(*given, bytes_);
  if (as_configured || as_bytes) return "";
  if (given->find('.') == std::string_view::npos || !tokens_.enabled()) return "the publish key is wrong";
  if (auto why = tokens_.refusal(*given, now); !why.empty())
    return "the publish key is wrong, or the publish token does not verify with it (" + why + ")";
  return "";
}

} // namespace es::http
