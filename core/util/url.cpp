#include "util/url.hpp"

#include <algorithm>
#include <cctype>

namespace es {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool is_credential(std::string_view raw_key) {
  static constexpr std::string_view names[] = {
      "token",    "es-meta", "access_token", "id_token", "refresh_token", "jwt",       "auth",     "authorization",
      "key",      "api_key", "apikey",       "secret",   "client_secret", "password",  "passwd",   "sig",
      "signature", "session", "verify-key"};
  std::string key = percent_decode(raw_key, true);
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(std::begin(names), std::end(names), key) != std::end(names);
}

} // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::string percent_encode(std::string_view text, std::string_view safe) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (is_unreserved(c) || safe.find(static_cast<char>(c)) != std::string_view::npos) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

QueryParams parse_query(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    params.emplace_back(percent_decode(key, true), percent_decode(value, true));
  }
  return params;
}

std::vector<std::string> query_values(const QueryParams& params, std::string_view key) {
  std::vector<std::string> values;
  for (const auto& [k, v] : params)
    if (k == key) values.push_back(v);
  return values;
}

Target split_target(std::string_view target) {
  auto q = target.find('?');
  Target t;
  t.path = percent_decode(target.substr(0, q));
  if (q != std::string_view::npos) t.query = std::string(target.substr(q + 1));
  return t;
}

std::string redacted_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q));
  std::string_view rest = target.substr(q);
  // Split as parse_query() does, so what it would read as a credential is what is hidden.
  while (!rest.empty()) {
    out.push_back(rest.front()); // '?' or '&'
    rest.remove_prefix(1);
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && eq + 1 < pair.size() && is_credential(pair.substr(0, eq))) {
      out.append(pair.substr(0, eq + 1));
      out.append("REDACTED");
    } else {
      out.append(pair);
    }
  }
  return out;
}

std::string redacted_url(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return redacted_target(url);
  auto host = scheme + 3;
  auto path = url.find_first_of("/?#", host);
  std::string_view authority = url.substr(host, path == std::string_view::npos ? path : path - host);
  std::string out(url.substr(0, host));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    out += "REDACTED@";
    authority.remove_prefix(at + 1);
  }
  out += authority;
  if (path != std::string_view::npos) out += redacted_target(url.substr(path));
  return out;
}

} // namespace es
