#include "sse/json_text.hpp"

#include <charconv>
#include <cstdint>
#include <cstdlib>

namespace es::sse {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_u_escape(std::string& out, std::uint32_t unit) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(hex_digits[(unit >> shift) & 15]);
}

// Decodes one UTF-8 sequence at text[i]; input was validated by the parser, but a
// stray byte still maps to U+FFFD rather than reading past the end.
std::uint32_t decode_utf8(std::string_view text, std::size_t& i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  int extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
  if (extra == 0 || i + extra >= text.size()) {
    ++i;
    return 0xFFFD;
  }
  std::uint32_t cp = lead & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
  i += extra + 1;
  return cp;
}

// Python's float repr: the shortest digits that round-trip, fixed notation for
// exponents -4..15 (with ".0" when integral), otherwise d.ddde+XX.
void append_python_float(std::string& out, double value) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  auto e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits.push_back(c);
  int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());

  if (negative) out.push_back('-');
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out += digits;
    } else if (static_cast<int>(digits.size()) <= exponent + 1) {
      out += digits;
      out.append(static_cast<std::size_t>(exponent + 1) - digits.size(), '0');
      out += ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(exponent) + 1);
      out.push_back('.');
      out += digits.substr(static_cast<std::size_t>(exponent) + 1);
    }
    return;
  }
  out.push_back(digits[0]);
  if (digits.size() > 1) {
    out.push_back('.');
    out += digits.substr(1);
  }
  out.push_back('e');
  out.push_back(exponent < 0 ? '-' : '+');
  int magnitude = exponent < 0 ? -exponent : exponent;
  if (magnitude < 10) out.push_back('0');
  out += std::to_string(magnitude);
}

void append_value(std::string& out, const rapidjson::Value& v) {
  switch (v.GetType()) {
  case rapidjson::kNullType: out += "null"; return;
  case rapidjson::kFalseType: out += "false"; return;
  case rapidjson::kTrueType: out += "true"; return;
  case rapidjson::kStringType: append_python_json_string(out, {v.GetString(), v.GetStringLength()}); return;
  case rapidjson::kNumberType:
    if (v.IsUint64()) out += std::to_string(v.GetUint64());
    else if (v.IsInt64()) out += std::to_string(v.GetInt64());
    else append_python_float(out, v.GetDouble());
    return;
  case rapidjson::kArrayType: {
    out.push_back('[');
    bool first = true;
    for (const auto& item : v.GetArray()) {
      if (!first) out += ", ";
      first = false;
      append_value(out, item);
    }
    out.push_back(']');
    return;
  }
  case rapidjson::kObjectType: {
    out.push_back('{');
    bool first = true;
    for (const auto& member : v.GetObject()) {
      if (!first) out += ", ";
      first = false;
      append_python_json_string(out, {member.name.GetString(), member.name.GetStringLength()});
      out += ": ";
      append_value(out, member.value);
    }
    out.push_back('}');
    return;
  }
  }
}

} // namespace

void append_python_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::uint32_t cp = decode_utf8(text, i);
      if (cp >= 0x10000) {
        cp -= 0x10000;
        append_u_escape(out, 0xD800 + (cp >> 10));
        append_u_escape(out, 0xDC00 + (cp & 0x3FF));
      } else {
        append_u_escape(out, cp);
      }
      continue;
    }
    ++i;
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      if (c < 0x20) append_u_escape(out, c);
      else out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

std::string python_json(const rapidjson::Value& value) {
  std::string out;
  append_value(out, value);
  return out;
}

} // namespace es::sse
