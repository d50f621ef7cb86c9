#include "http/web_pages.hpp"

#include "web/assets.hpp"

namespace es::http {

bool wants_viewer(const Request& req) {
  auto accept = req[bhttp::field::accept];
  return accept.find("text/html") != std::string_view::npos &&
         accept.find("text/event-stream") == std::string_view::npos;
}

Response viewer_page(const Request& req) {
  Response res = text_response(req, bhttp::status::ok, std::string(web::viewer_html), "text/html; charset=utf-8");
  // The page needs nothing from elsewhere; it reads the stream from its own URL.
  res.set("Content-Security-Policy",
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'");
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
