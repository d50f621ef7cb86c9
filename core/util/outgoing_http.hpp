#pragma once
// Requests eventstream makes of other servers (publishing from `send`, the permission
// webhook, GRIP proxies, ngrok's agent), all through libcurl. The caller owns the
// handle, so a worker keeps its connections alive between requests.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace es {

struct HttpAnswer {
  bool sent = false;          // an HTTP answer came back (status is meaningful)
  bool refused = false;       // nothing listens there
  long status = 0;
  std::string body;
  std::string error;          // why nothing came back
  bool ok() const { return sent && status >= 200 && status < 300; }
};

// `curl` is a CURL* from curl_easy_init(). `headers` are whole lines ("Name: value").
HttpAnswer http_post(void* curl, const std::string& url, const std::string& body,
                     const std::vector<std::string>& headers, std::chrono::milliseconds timeout,
                     std::string_view content_type = "application/json");

HttpAnswer http_get(void* curl, const std::string& url, std::chrono::milliseconds timeout);

} // namespace es
