#pragma once
// Requests eventstream makes of other servers (publishing from `send`, the permission
// webhook, GRIP proxies, ngrok's agent), all through libcurl. The caller owns the
// handle, so a worker keeps its connections alive between requests. HTTP/2 is asked for
// over TLS, HTTP/1.1 otherwise.
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
  int curl_code = 0;          // and libcurl's CURLcode for it
  bool ok() const { return sent && status >= 200 && status < 300; }
};

// How an https:// server's certificate is checked: against the system's CAs by default.
struct TlsTrust {
  std::string cacert;    // PEM file of the CAs to trust instead (--cacert)
  bool insecure = false; // no check at all (--insecure)
};

// Sets `trust` and the HTTP version on `curl` (a CURL*): every client request, whether
// sent here or by a client's own transfer (listen, doctor), is set up by this.
void set_tls(void* curl, const TlsTrust& trust);

// What the user can do about a TLS failure (naming --cacert and --insecure), or "" when
// `curl_code` is not one.
std::string tls_advice(int curl_code);

// `curl` is a CURL* from curl_easy_init(). `headers` are whole lines ("Name: value").
HttpAnswer http_post(void* curl, const std::string& url, const std::string& body,
                     const std::vector<std::string>& headers, std::chrono::milliseconds timeout,
                     const TlsTrust& trust = {}, std::string_view content_type = "application/json");

HttpAnswer http_get(void* curl, const std::string& url, std::chrono::milliseconds timeout,
                    const TlsTrust& trust = {});

} // namespace es
