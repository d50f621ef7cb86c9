#include "auth/bearer.hpp"

#include <boost/beast/core/string.hpp>

#include "util/base64.hpp"

namespace es::auth {
namespace {

std::optional<std::string_view> credentials(std::string_view authorization, std::string_view scheme) {
  if (authorization.size() <= scheme.size() || authorization[scheme.size()] != ' ' ||
      !boost::beast::iequals(authorization.substr(0, scheme.size()), scheme))
    return std::nullopt;
  auto rest = authorization.substr(scheme.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty()) return std::nullopt;
  return rest;
}

} // namespace

std::optional<std::string_view> bearer_credentials(std::string_view authorization) {
  return credentials(authorization, "bearer");
}

std::optional<std::string> basic_password(std::string_view authorization) {
  auto encoded = credentials(authorization, "basic");
  if (!encoded) return std::nullopt;
  auto pair = base64_decode(*encoded);
  if (!pair) return std::nullopt;
  auto colon = pair->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return pair->substr(colon + 1);
}

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return {};
}

} // namespace es::auth
