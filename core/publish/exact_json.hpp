#pragma once
// JSON parsed with every number read exactly, as Python's json module reads it.
// RapidJSON 1.1.0 (Debian's) gets some numbers wrong in its full-precision mode: `0e40`
// becomes -2.4e+229, `0.000000000000000000000000` -2.2e-193, `0.184467440737095516159`
// -6.5e-201 (its issues 1249 and 1441, fixed after 1.1.0). So RapidJSON hands numbers
// over as text, and they are converted here: an integer that fits in 64 bits stays an
// integer, as RapidJSON keeps it; anything else becomes the nearest double.
#include <string_view>

#include <rapidjson/document.h>

namespace es::publish {

// Fills `doc` (nested arrays and objects take no stack: RapidJSON's iterative parser).
// The result says where the text stops being JSON; a number beyond a double's range is
// kParseErrorNumberTooBig.
rapidjson::ParseResult parse_exact_json(rapidjson::Document& doc, std::string_view text);

} // namespace es::publish
