// A subscribe or publish URL of the load generator: http:// or https://, host, port, target.
#pragma once

#include <string>

namespace loadgen {

struct Url {
  bool tls = false; // https://
  std::string host;
  unsigned short port = 80;
  std::string target = "/";

  // host:port, as Host and :authority carry it.
  std::string authority() const { return host + ":" + std::to_string(port); }
};

inline Url parse_url(const std::string& text) {
  Url url;
  auto scheme_end = text.find("://");
  url.tls = scheme_end != std::string::npos && text.compare(0, scheme_end, "https") == 0;
  url.port = url.tls ? 443 : 80;
  std::string rest = text.substr(scheme_end == std::string::npos ? 0 : scheme_end + 3);
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  url.target = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = hostport.rfind(':');
  url.host = hostport.substr(0, colon);
  if (colon != std::string::npos) url.port = static_cast<unsigned short>(std::stoi(hostport.substr(colon + 1)));
  return url;
}

} // namespace loadgen
