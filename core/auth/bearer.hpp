#pragma once
// The credentials a request carries: an `Authorization` header, a cookie. Schemes are matched in any case (RFC
// 9110 §11.1: auth schemes are case-insensitive), with one or more spaces after them.
#include <optional>
#include <string>
#include <string_view>

namespace es::auth {

// `Bearer <credentials>`. Nothing when `authorization` is empty, of another scheme, or
// has no credentials.
std::optional<std::string_view> bearer_credentials(std::string_view authorization);

// The password of `Basic base64(user:password)` (RFC 7617). Nothing when it is not that.
std::optional<std::string> basic_password(std::string_view authorization);

// The value of cookie `name` in a Cookie header, as sent (not decoded); "" when absent.
std::string_view cookie_value(std::string_view header, std::string_view name);

} // namespace es::auth
