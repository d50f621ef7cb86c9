#include "grip/fanout_origin.hpp"

#include <curl/curl.h>

#include <memory>
#include <stdexcept>

#include "util/outgoing_http.hpp"
#include "util/url.hpp"

namespace es::grip {

std::string set_origin_url(const Proxy& proxy) {
  const std::string& uri = proxy.control_uri;
  auto path = uri.find('/', uri.find("://") + 3);
  auto realm = path == std::string::npos ? path : uri.find("/realm/", path);
  bool is_realm = realm == path && realm != std::string::npos && uri.size() > realm + 7 &&
                  uri.find_first_of("/?", realm + 7) == std::string::npos;
  if (!is_realm)
    throw std::runtime_error("GRIP URL " + uri + " is not a Fanout realm; serve-ngrok needs "
                                "https://api.fanout.io/realm/REALM?iss=REALM&key=base64:KEY");
  if (proxy.key.empty() || proxy.iss.empty())
    throw std::runtime_error("GRIP URL " + uri + " has no iss= and key=; the realm API needs both "
                                "(https://api.fanout.io/realm/REALM?iss=REALM&key=base64:KEY)");
  return uri + "/http/default/";
}

std::string set_origin_body(const Origin& origin) {
  std::string body;
  auto add = [&](const char* name, const std::string& value) {
    body += (body.empty() ? "" : "&") + std::string(name) + "=" + percent_encode(value, "");
  };
  if (!origin.host.empty()) {
    add("host", origin.host);
    add("port", std::to_string(origin.port));
  }
  if (!origin.ssl_host.empty()) {
    add("ssl_host", origin.ssl_host);
    add("ssl_port", std::to_string(origin.ssl_port));
  }
  add("rewrite_host", "true");
  add("over_http", "true");
  return body;
}

void set_origin(const Proxy& proxy, const Origin& origin) {
  std::string url = set_origin_url(proxy);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  auto answer = http_post(curl.get(), url, set_origin_body(origin), {authorization_header(proxy)},
                          std::chrono::seconds(20), {}, "application/x-www-form-urlencoded");
  if (!answer.sent)
    throw std::runtime_error("failed to set origin for service " + proxy.control_uri + ": " + answer.error);
  if (!answer.ok())
    throw std::runtime_error("failed to set origin for service " + proxy.control_uri + ": the realm API answered " +
                             std::to_string(answer.status) + ": " + answer.body.substr(0, answer.body.find('\n')));
}

} // namespace es::grip
