#include "auth/bearer.hpp"

#include <boost/beast/core/string.hpp>

namespace es::auth {

std::optional<std::string_view> bearer_credentials(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer";
  if (authorization.size() <= scheme.size() || authorization[scheme.size()] != ' ' ||
      !boost::beast::iequals(authorization.substr(0, scheme.size()), scheme))
    return std::nullopt;
  auto credentials = authorization.substr(scheme.size());
  while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
  if (credentials.empty()) return std::nullopt;
  return credentials;
}

} // namespace es::auth
