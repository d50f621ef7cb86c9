#include "grip/ngrok.hpp"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <charconv>
#include <memory>
#include <stdexcept>

#include "util/outgoing_http.hpp"
#include "util/json_reader.hpp"

namespace es::grip {
namespace {

struct HostPort {
  std::string host;
  int port = 0;
};

// "https://abc.ngrok.io[:port][/...]", "localhost:8000", "8000"; the port defaults by
// scheme, or to `default_port`.
HostPort host_port(std::string_view url, int default_port) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
    if (url.substr(0, scheme) == "https") default_port = 443;
    else if (url.substr(0, scheme) == "http") default_port = 80;
    url.remove_prefix(scheme + 3);
  }
  url = url.substr(0, url.find('/'));
  HostPort out{std::string(url), default_port};
  auto colon = url.rfind(':');
  std::string_view digits = colon == std::string_view::npos ? url : url.substr(colon + 1);
  int port = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty()) {
    out.port = port;
    out.host = colon == std::string_view::npos ? "" : std::string(url.substr(0, colon));
  }
  return out;
}

std::string text(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

} // namespace

std::vector<Tunnel> list_tunnels(const std::string& api, unsigned short port) {
  std::string url = api;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/api/tunnels";
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  auto answer = http_get(curl.get(), url, std::chrono::seconds(5));
  if (!answer.sent)
    throw std::runtime_error("cannot reach ngrok's agent at " + url + " (" + answer.error +
                             "); start a tunnel to this server first: ngrok http " + std::to_string(port) +
                             ", or point --ngrok-api at its web interface");
  if (answer.status != 200)
    throw std::runtime_error("ngrok's agent at " + url + " answered " + std::to_string(answer.status) + ": " +
                             answer.body.substr(0, answer.body.find('\n')));
  JsonDocument doc;
  if (!read_json(doc, answer.body).empty() || !doc.IsObject() || !doc.HasMember("tunnels") || !doc["tunnels"].IsArray())
    throw std::runtime_error("ngrok's agent at " + url + " did not answer with a tunnel list ({\"tunnels\": [...]})");
  std::vector<Tunnel> tunnels;
  for (const auto& t : doc["tunnels"].GetArray()) {
    Tunnel tunnel{text(t, "name"), text(t, "proto"), text(t, "public_url"), ""};
    if (t.IsObject() && t.HasMember("config")) tunnel.addr = text(t["config"], "addr");
    tunnels.push_back(std::move(tunnel));
  }
  return tunnels;
}

Origin choose_origin(const std::vector<Tunnel>& tunnels, unsigned short port) {
  std::vector<const Tunnel*> web, ours;
  for (const auto& t : tunnels) {
    if ((t.proto != "http" && t.proto != "https") || t.public_url.empty()) continue;
    web.push_back(&t);
    if (host_port(t.addr, 80).port == port) ours.push_back(&t);
  }
  if (web.empty()) throw std::runtime_error("no ngrok tunnels found; start one with: ngrok http " + std::to_string(port));

  const auto& pool = ours.empty() ? web : ours;
  const Tunnel* primary = pool.front();
  for (const auto* t : pool)
    if (t->proto == "https") {
      primary = t;
      break;
    }
  Origin origin;
  std::string host = host_port(primary->public_url, 0).host, used;
  for (const auto* t : pool) {
    auto end = host_port(t->public_url, t->proto == "https" ? 443 : 80);
    if (end.host != host) continue;
    bool ssl = t->proto == "https";
    if (ssl ? !origin.ssl_host.empty() : !origin.host.empty()) continue;
    (ssl ? origin.ssl_host : origin.host) = end.host;
    (ssl ? origin.ssl_port : origin.port) = end.port;
    used += (used.empty() ? "" : ", ") + t->public_url;
  }
  origin.choice = "ngrok tunnel " + used + " -> " + (primary->addr.empty() ? "?" : primary->addr);
  if (web.size() > 1 || ours.empty())
    origin.choice += ours.empty() ? " (none of the " + std::to_string(web.size()) + " tunnels forwards to port " +
                                        std::to_string(port) + "; took the first)"
                                  : " (of " + std::to_string(web.size()) + " tunnels, the one forwarding to port " +
                                        std::to_string(port) + ")";
  return origin;
}

} // namespace es::grip
