#pragma once
// Percent-decoding and query strings, the way Django reads them: `+` is a space in
// query values (not in paths), repeated keys keep every value in order.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace es {

// Decodes %XX escapes; a malformed escape is kept as typed, as browsers and Django do.
std::string percent_decode(std::string_view text, bool plus_is_space = false);

// Escapes every byte but unreserved characters and those listed in `safe`
// (Python's urllib.parse.quote, whose default safe set is "/").
std::string percent_encode(std::string_view text, std::string_view safe = "/");

using QueryParams = std::vector<std::pair<std::string, std::string>>;

QueryParams parse_query(std::string_view query);

// Every value of `key`, in order.
std::vector<std::string> query_values(const QueryParams& params, std::string_view key);

struct Target {
  std::string path;  // decoded
  std::string query; // raw, without '?'
};

Target split_target(std::string_view target);

// `target` as it may be logged: the value of every query parameter that carries a
// credential is replaced by REDACTED, the rest is kept byte for byte. Those parameters
// are ours (token, es-meta) and the usual ones of other software a client may copy
// into a URL: access_token, id_token, refresh_token, jwt, auth, authorization, key,
// api_key, apikey, secret, client_secret, password, passwd, sig, signature, session,
// verify-key.
// Names are matched decoded and case-insensitively, as a reader of them might.
std::string redacted_target(std::string_view target);

// A URL of the command line (--auth-url, --redis, --grip-url) as it may be logged: its
// user information (a password) is REDACTED, and its query as in redacted_target().
std::string redacted_url(std::string_view url);

} // namespace es
