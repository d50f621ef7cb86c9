#include "grip/grip_url.hpp"

#include <chrono>
#include <stdexcept>
#include <vector>

#include "auth/jwt.hpp"
#include "sse/json_text.hpp"
#include "util/base64.hpp"
#include "util/url.hpp"

namespace es::grip {

std::string decode_key(std::string_view value, std::string_view what) {
  if (!value.starts_with("base64:")) return std::string(value);
  auto key = base64_decode(value.substr(7));
  if (!key) throw std::invalid_argument(std::string(what) + ": the key after 'base64:' is not valid base64");
  // An empty key would verify everything: HMAC with it is anyone's to compute.
  if (key->empty()) throw std::invalid_argument(std::string(what) + ": the key after 'base64:' is empty; give a key");
  return *key;
}

std::string authorization_header(const Proxy& proxy) {
  if (proxy.key.empty()) return "";
  if (proxy.iss.empty()) return "Authorization: Bearer " + proxy.key;
  auto exp = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() + 3600;
  std::string claims = "{\"iss\": ";
  sse::append_python_json_string(claims, proxy.iss);
  claims += ", \"exp\": " + std::to_string(exp) + "}";
  return "Authorization: Bearer " + auth::sign_hs256(claims, proxy.key);
}

Proxy parse_grip_url(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos || (url.substr(0, scheme) != "http" && url.substr(0, scheme) != "https"))
    throw std::invalid_argument("GRIP URL '" + redacted_url(url) +
                                "' is not http(s)://HOST[:PORT][/PATH][?iss=..&key=..], e.g. http://localhost:5561");
  auto q = url.find('?');
  std::string base(url.substr(0, q));
  while (base.size() > scheme + 3 && base.back() == '/') base.pop_back();

  Proxy proxy;
  std::string leftover;
  std::string_view query = q == std::string_view::npos ? std::string_view{} : url.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    // '+' stays '+': base64 keys are written in URLs unescaped.
    std::string value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    auto key = [&](std::string& out) { out = decode_key(value, "GRIP URL " + redacted_url(url)); };
    if (name == "iss") proxy.iss = value;
    else if (name == "key") key(proxy.key);
    else if (name == "verify-iss") proxy.verify_iss = value;
    else if (name == "verify-key") key(proxy.verify_key);
    else leftover += (leftover.empty() ? "" : "&") + std::string(pair);
  }
  if (!leftover.empty())
    throw std::invalid_argument("GRIP URL " + redacted_url(url) + ": unknown query parameters (" + leftover +
                                "); only iss, key, verify-iss and verify-key are understood");
  proxy.control_uri = base;
  return proxy;
}

} // namespace es::grip
