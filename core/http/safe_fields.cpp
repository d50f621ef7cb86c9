#include "http/safe_fields.hpp"

#include <cstdio>

namespace es::http {

namespace bhttp = boost::beast::http;

namespace {

std::string_view checked(std::string_view name, std::string_view value) {
  check_header_field(name, value);
  return value;
}

bool is_token_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  return std::string_view("\"(),/:;<=>?@[\\]{}").find(static_cast<char>(c)) == std::string_view::npos;
}

[[noreturn]] void refuse(std::string_view name, const std::string& why) {
  throw BadHeaderField("header field '" + std::string(name.substr(0, 64)) + "' not written: " + why);
}

} // namespace

void check_header_field(std::string_view name, std::string_view value) {
  if (name.empty() || name.size() > max_field_size) refuse(name, "the name is empty or too long");
  for (unsigned char c : name)
    if (!is_token_char(c)) refuse(name, "the name is not an HTTP token");
  if (value.size() > max_field_size)
    refuse(name, "the value is " + std::to_string(value.size()) + " bytes, more than the " +
                     std::to_string(max_field_size) + " a field may hold");
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto c = static_cast<unsigned char>(value[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      refuse(name, std::string("the value has the control character ") + hex + " at byte " + std::to_string(i));
    }
  }
}

std::string header_line(std::string_view name, std::string_view value) {
  check_header_field(name, value);
  std::string line;
  line.reserve(name.size() + value.size() + 4);
  line.append(name).append(": ").append(value).append("\r\n");
  return line;
}

void SafeFields::set(bhttp::field name, std::string_view value) { base::set(name, checked(to_string(name), value)); }

void SafeFields::set(std::string_view name, std::string_view value) { base::set(name, checked(name, value)); }

void SafeFields::insert(bhttp::field name, std::string_view value) {
  base::insert(name, checked(to_string(name), value));
}

void SafeFields::insert(std::string_view name, std::string_view value) {
  base::insert(name, checked(name, value));
}

} // namespace es::http
