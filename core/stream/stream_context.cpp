#include "stream/stream_context.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "http/safe_fields.hpp"
#include "mercure/update.hpp"

namespace es::stream {
namespace {

// The reference sends fixed CORS values whatever the request's Origin says.
// Values from flags are checked here, at start: one that cannot be a header would fail
// every stream later.
http::HeaderList build_stream_headers(const config::ServerConfig& config) {
  http::HeaderList headers{{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
  auto from_flag = [&](const char* flag, const char* name, const std::string& value) {
    try {
      http::check_header_field(name, value);
    } catch (const http::BadHeaderField& e) {
      throw std::invalid_argument(std::string(flag) + " cannot be sent: " + e.what() +
                                  "; give it a value on one line, without control characters");
    }
    headers.emplace_back(name, value);
  };
  if (!config.allow_origin.empty()) from_flag("--allow-origin", "Access-Control-Allow-Origin", config.allow_origin);
  if (config.allow_credentials) headers.emplace_back("Access-Control-Allow-Credentials", "true");
  if (!config.allow_headers.empty())
    from_flag("--allow-headers", "Access-Control-Allow-Headers", config.allow_headers);
  if (!config.mercure_discovery.empty())
    from_flag("--mercure-discovery", "Link", "<" + config.mercure_discovery + ">; rel=\"mercure\"");
  return headers;
}

// --secret; else one derived from --auth-secret, which every instance of a deployment
// shares; else a random one, whose links other instances (and this one after a restart)
// cannot read.
std::string link_secret_of(const config::ServerConfig& config) {
  if (!config.secret.empty()) return config.secret;
  unsigned char bytes[EVP_MAX_MD_SIZE];
  unsigned int size = 32;
  if (!config.auth_secret.empty()) {
    constexpr std::string_view purpose = "eventstream GRIP link es-meta";
    HMAC(EVP_sha256(), config.auth_secret.data(), static_cast<int>(config.auth_secret.size()),
         reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size(), bytes, &size);
  } else if (RAND_bytes(bytes, static_cast<int>(size)) != 1) {
    throw std::runtime_error("cannot get random bytes for the GRIP link secret; pass --secret");
  }
  return {reinterpret_cast<const char*>(bytes), size};
}

} // namespace

StreamContext::StreamContext(const config::ServerConfig& config_, storage::Storage* storage_,
                             storage::ReaderPool* readers_)
    : config(config_), stream_headers(build_stream_headers(config_)), reliable(mercure::stored_channels(config_)),
      access(auth::AccessSettings{config_.auth_secret, config_.auth_cookie, config_.private_globs,
                                  config_.auth_leeway}),
      link_secret(link_secret_of(config_)), storage(storage_), readers(readers_) {}

} // namespace es::stream
