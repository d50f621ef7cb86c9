#pragma once
// The credentials of an `Authorization: Bearer <credentials>` header. The scheme is
// matched in any case (RFC 9110 §11.1: auth schemes are case-insensitive), with one or
// more spaces after it.
#include <optional>
#include <string_view>

namespace es::auth {

// Nothing when `authorization` is empty, of another scheme, or has no credentials.
std::optional<std::string_view> bearer_credentials(std::string_view authorization);

} // namespace es::auth
