#pragma once
#include <string_view>

namespace es {

// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view text);

// Whether `text` holds a C0 or C1 control character or DEL (C1 as UTF-8 U+0080-U+009F).
bool has_control_character(std::string_view text);

} // namespace es
