#pragma once
// Standard base64 (RFC 4648 §4, padding optional), as GRIP writes binary keys
// (`base64:...`), content (`content-bin`) and Basic credentials.
#include <optional>
#include <string>
#include <string_view>

namespace es {

// Nothing when `text` is not base64.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace es
