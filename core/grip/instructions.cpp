#include "grip/instructions.hpp"

#include <charconv>
#include <cstdio>

#include "util/trim.hpp"
#include "util/url.hpp"

namespace es::grip {
namespace {

// How the proxy names a user without a token, in the user channel and the `user` meta.
std::string_view user_name(std::string_view user) { return user.empty() ? "anonymous" : user; }

// A quoted-string value of Grip-Set-Meta.
void append_quoted(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

} // namespace

std::string stream_channel(std::string_view channel) { return "events-" + percent_encode(channel); }

std::string user_channel(std::string_view user) {
  return "user-" + percent_encode(user_name(user));
}

std::string escape_build_id(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

std::string channel_header(const std::vector<HeldChannel>& channels, std::string_view user) {
  std::string header;
  for (const auto& channel : channels) {
    header += "events-";
    header += channel.encoded;
    if (channel.prev_id) header += "; prev-id=" + std::to_string(*channel.prev_id) + "; filter=build-id";
    header += "; filter=skip-users, ";
  }
  return header + user_channel(user) + "; filter=require-sub";
}

std::string set_meta_header(const std::vector<HeldChannel>& channels, std::string_view user) {
  std::string id_format;
  for (const auto& channel : channels) {
    if (!channel.prev_id) continue;
    if (!id_format.empty()) id_format += ',';
    // The channel as written in the id goes through the proxy's format: '%' doubled.
    id_format += escape_build_id(channel.encoded);
    id_format += ":%(events-";
    id_format += channel.encoded;
    id_format += ")s";
  }
  std::string header;
  if (!id_format.empty()) {
    header = "id_format=";
    append_quoted(header, id_format);
    header += ", ";
  }
  header += "user=";
  append_quoted(header, user_name(user));
  return header;
}

std::string keep_alive_header(std::string_view data, std::chrono::seconds interval) {
  std::string header;
  for (unsigned char c : data) {
    if (c == '\\') header += "\\\\";
    else if (c == '\n') header += "\\n";
    else if (c == '\r') header += "\\r";
    else if (c < 0x20) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      header += hex;
    } else header += static_cast<char>(c);
  }
  return header + "; format=cstring; timeout=" + std::to_string(interval.count());
}

sse::Position parse_grip_last(const std::vector<std::string_view>& values) {
  sse::Position position;
  for (std::string_view value : values) {
    while (!value.empty()) {
      auto comma = value.find(',');
      std::string_view entry = value.substr(0, comma);
      value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
      auto semicolon = entry.find(';');
      std::string_view name = trim_ows(entry.substr(0, semicolon));
      if (!name.starts_with("events-") || semicolon == std::string_view::npos) continue;
      std::string_view params = entry.substr(semicolon + 1);
      auto at = params.find("last-id=");
      if (at == std::string_view::npos) continue;
      std::string_view id = params.substr(at + 8);
      id = trim_ows(id.substr(0, id.find(';')));
      if (id.size() >= 2 && id.front() == '"' && id.back() == '"') id = id.substr(1, id.size() - 2);
      std::uint64_t number = 0;
      auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), number);
      if (ec != std::errc() || end != id.data() + id.size()) continue;
      position.emplace_back(percent_decode(name.substr(7)), number);
    }
  }
  return position;
}

} // namespace es::grip
