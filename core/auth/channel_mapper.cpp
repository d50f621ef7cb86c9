#include "auth/channel_mapper.hpp"

#include <unordered_map>

#include <rapidjson/document.h>

#include "sse/json_text.hpp"
#include "util/json_reader.hpp"
#include "util/outgoing_http.hpp"

namespace es::auth {
namespace {

constexpr std::chrono::seconds cache_errors_for{1};
// A message is one short sentence for the client and the log, never a page.
constexpr std::size_t max_message = 512;
constexpr std::string_view permission_denied = "Permission denied.";

void append_object_of_strings(std::string& out, const std::vector<std::pair<std::string, std::string>>& pairs) {
  out += '{';
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i) out += ", ";
    sse::append_python_json_string(out, pairs[i].first);
    out += ": ";
    sse::append_python_json_string(out, pairs[i].second);
  }
  out += '}';
}

// {"channel": ["a", "b"], "x": ["1"]}: every value of a key, keys in the order first given.
void append_query(std::string& out, const QueryParams& query) {
  std::vector<std::pair<std::string_view, std::vector<std::string_view>>> keys;
  std::unordered_map<std::string_view, std::size_t> index;
  for (const auto& [key, value] : query) {
    auto [it, added] = index.emplace(key, keys.size());
    if (added) keys.emplace_back(key, std::vector<std::string_view>{});
    keys[it->second].second.push_back(value);
  }
  out += '{';
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ", ";
    sse::append_python_json_string(out, keys[i].first);
    out += ": [";
    for (std::size_t k = 0; k < keys[i].second.size(); ++k) {
      if (k) out += ", ";
      sse::append_python_json_string(out, keys[i].second[k]);
    }
    out += ']';
  }
  out += '}';
}

// The application's words, as they may reach a client's stream-error and a log line:
// control characters become spaces, at most max_message bytes (cut between characters).
std::string sanitized_message(std::string_view text) {
  std::string out;
  for (unsigned char c : text) out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
  if (out.size() > max_message) {
    std::size_t cut = max_message;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  auto first = out.find_first_not_of(' ');
  if (first == std::string::npos) return std::string(permission_denied);
  return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

// A refusal's text: the JSON answer's "message", or a body that is not JSON as it is.
std::string refusal_message(std::string_view body) {
  JsonDocument doc;
  if (!read_json(doc, body).empty()) return sanitized_message(body);
  if (doc.IsObject() && doc.HasMember("message") && doc["message"].IsString())
    return sanitized_message({doc["message"].GetString(), doc["message"].GetStringLength()});
  return std::string(permission_denied);
}

std::size_t bytes_of(const Mapping& mapping) {
  std::size_t bytes = mapping.message.size() + mapping.channels.size() * sizeof(std::string);
  for (const auto& channel : mapping.channels) bytes += channel.size();
  return bytes;
}

// User ids hold no NUL (tokens' "sub" has no control character).
std::string user_prefix(const std::string& user) { return user + '\0'; }

} // namespace

std::string mapping_request_body(const ChannelMapper::Question& q) {
  std::string body = "{\"path\": ";
  sse::append_python_json_string(body, q.path);
  body += ", \"route\": ";
  sse::append_python_json_string(body, q.route);
  body += ", \"params\": ";
  append_object_of_strings(body, q.params);
  body += ", \"query\": ";
  append_query(body, q.query);
  body += ", \"user\": ";
  if (q.user.empty()) body += "null";
  else sse::append_python_json_string(body, q.user);
  body += "}";
  return body;
}

Mapping read_mapping_answer(long status, std::string_view body) {
  Mapping mapping;
  if (status == 401 || status == 403) {
    mapping.outcome = Mapping::Outcome::forbidden;
    mapping.message = body.empty() ? std::string(permission_denied) : refusal_message(body);
    return mapping;
  }
  if (status < 200 || status > 299) {
    mapping.message = "status " + std::to_string(status);
    return mapping;
  }
  JsonDocument doc;
  if (auto problem = read_json(doc, body); !problem.empty()) {
    mapping.message = "the answer is " + problem;
    return mapping;
  }
  if (!doc.IsObject() || !doc.HasMember("channels") || !doc["channels"].IsArray()) {
    mapping.message = "the answer has no \"channels\" array";
    return mapping;
  }
  for (const auto& channel : doc["channels"].GetArray()) {
    if (!channel.IsString()) {
      mapping.channels.clear();
      mapping.message = "\"channels\" holds something other than a string";
      return mapping;
    }
    mapping.channels.emplace_back(channel.GetString(), channel.GetStringLength());
  }
  mapping.outcome = Mapping::Outcome::channels;
  return mapping;
}

void ChannelMapper::forget_user(const std::string& user) { calls_.forget(user_prefix(user)); }

ChannelMapper::ChannelMapper(WebhookPool& pool, std::string url, std::chrono::seconds cache_for,
                             std::chrono::milliseconds timeout, WebhookCacheLimits limits)
    : url_(std::move(url)), cache_for_(cache_for), timeout_(timeout),
      calls_(pool, "channel mapping", url_, Mapping{}, limits,
             [this](const auto& asked, const Mapping& mapping, auto& cache) {
               bool failed = mapping.outcome == Mapping::Outcome::failed;
               cache.store(asked.key, mapping,
                           AnswerCache<Mapping>::Clock::now() + (failed ? cache_errors_for : cache_for_),
                           bytes_of(mapping));
             }) {}

void ChannelMapper::ask(const Question& question, Answer answer) {
  std::string body = mapping_request_body(question);
  // The user first, so that a kick can forget the user's answers; then lengths first, so
  // that no part ends where the next begins; the digest keeps the key short whatever the
  // request forwards.
  std::string key = user_prefix(question.user) +
                    digest(std::to_string(body.size()) + ':' + body + std::to_string(question.cookie.size()) + ':' +
                           question.cookie + question.authorization);
  calls_.ask(std::move(key), false,
             [this, body = std::move(body), question](void* curl) { return call(body, question, curl); },
             std::move(answer));
}

Mapping ChannelMapper::call(const std::string& body, const Question& q, void* curl) const {
  std::vector<std::string> headers;
  if (!q.cookie.empty()) headers.push_back("Cookie: " + q.cookie);
  if (!q.authorization.empty()) headers.push_back("Authorization: " + q.authorization);
  auto answer = http_post(curl, url_, body, headers, timeout_);
  Mapping mapping = answer.sent ? read_mapping_answer(answer.status, answer.body) : Mapping{};
  if (mapping.outcome != Mapping::Outcome::failed) return mapping;
  // Every stream request asks, so a failing application is logged once a minute.
  static std::atomic<std::int64_t> last_logged{0};
  log_once_a_minute(last_logged, LogLevel::warn,
                    "channel mapping " + redacted_url(url_) + " failed for user '" + q.user + "' on " + q.path + ": " +
                        (answer.sent ? mapping.message : answer.error) +
                        "; the stream is refused. Answer {\"channels\": [NAME, ...]}, or 403 with {\"message\": TEXT}");
  mapping.message.clear();
  return mapping;
}

} // namespace es::auth
