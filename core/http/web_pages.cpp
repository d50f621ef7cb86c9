#include "http/web_pages.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "web/assets.hpp"

namespace es::http {
namespace {

// The page's one inline script is allowed by its hash, and nothing else is: no script an
// event could smuggle in would run.
std::string viewer_policy() {
  std::string_view page = web::viewer_html;
  auto start = page.find("<script>") + 8;
  auto script = page.substr(start, page.find("</script>", start) - start);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(script.data()), script.size(), digest);
  unsigned char encoded[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];
  EVP_EncodeBlock(encoded, digest, SHA256_DIGEST_LENGTH);
  return "default-src 'none'; script-src 'sha256-" + std::string(reinterpret_cast<const char*>(encoded)) +
         "'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
         "form-action 'none'";
}

} // namespace

// Browsers navigating say so (Sec-Fetch-Dest, sent to secure and local origins) and list
// XHTML; other HTTP clients that accept HTML (Java's default Accept names text/html first)
// do neither.
bool wants_viewer(const Request& req) {
  auto accept = req[bhttp::field::accept];
  if (accept.find("text/html") == std::string_view::npos || accept.find("text/event-stream") != std::string_view::npos)
    return false;
  return req["Sec-Fetch-Dest"] == "document" || accept.find("application/xhtml+xml") != std::string_view::npos;
}

Response viewer_page(const Request& req) {
  Response res = text_response(req, bhttp::status::ok, std::string(web::viewer_html), "text/html; charset=utf-8");
  // The page needs nothing from elsewhere; it reads the stream from its own URL.
  static const std::string policy = viewer_policy();
  res.set("Content-Security-Policy", policy);
  res.set(bhttp::field::cache_control, "no-cache");
  res.set("Vary", "Accept");
  return res;
}

Response client_script(const Request& req) {
  Response res =
      text_response(req, bhttp::status::ok, std::string(web::client_js), "application/javascript; charset=utf-8");
  res.set(bhttp::field::cache_control, "public, max-age=300");
  res.set(bhttp::field::access_control_allow_origin, "*");
  return res;
}

} // namespace es::http
