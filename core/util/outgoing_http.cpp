#include "util/outgoing_http.hpp"

#include <curl/curl.h>

#include <algorithm>

namespace es {
namespace {

std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// Performs the request set up on `curl` (after a reset) with `headers`.
HttpAnswer perform(CURL* curl, const std::string& url, curl_slist* headers, std::chrono::milliseconds timeout,
                   const TlsTrust& trust) {
  HttpAnswer answer;
  char error[CURL_ERROR_SIZE] = {};
  set_tls(curl, trust);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<long long>(timeout.count(), 10000)));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    answer.refused = rc == CURLE_COULDNT_CONNECT;
    answer.error = error[0] ? error : curl_easy_strerror(rc);
    answer.curl_code = rc;
    return answer;
  }
  answer.sent = true;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

} // namespace

void set_tls(void* handle, const TlsTrust& trust) {
  CURL* curl = static_cast<CURL*>(handle);
  // HTTP/2 where ALPN offers it: one connection for every stream and request to a host.
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  if (!trust.cacert.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, trust.cacert.c_str());
  if (trust.insecure) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
}

std::string tls_advice(int curl_code) {
  switch (curl_code) {
  case CURLE_PEER_FAILED_VERIFICATION:
    return "the server's certificate is not trusted here (self-signed, from a private CA, expired, or for another "
           "name); pass --cacert FILE with the certificate of the CA that issued it (a self-signed certificate is its own CA), or --insecure to skip the "
           "check (for testing only: anyone in between could read and change what is sent)";
  case CURLE_SSL_CACERT_BADFILE:
    return "the --cacert file cannot be read as PEM certificates; give the CA's certificate in PEM, or --insecure";
  case CURLE_SSL_CONNECT_ERROR:
    return "the TLS handshake failed: check that the server speaks HTTPS on this port with TLS 1.2 or newer "
           "(for plain HTTP, use an http:// URL)";
  default: return "";
  }
}

HttpAnswer http_post(void* handle, const std::string& url, const std::string& body,
                     const std::vector<std::string>& headers, std::chrono::milliseconds timeout,
                     const TlsTrust& trust, std::string_view content_type) {
  CURL* curl = static_cast<CURL*>(handle);
  curl_easy_reset(curl);
  curl_slist* list = curl_slist_append(nullptr, ("Content-Type: " + std::string(content_type)).c_str());
  for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  return perform(curl, url, list, timeout, trust);
}

HttpAnswer http_get(void* handle, const std::string& url, std::chrono::milliseconds timeout,
                    const TlsTrust& trust) {
  CURL* curl = static_cast<CURL*>(handle);
  curl_easy_reset(curl);
  return perform(curl, url, nullptr, timeout, trust);
}

} // namespace es
