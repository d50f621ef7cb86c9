#include "auth/webhook.hpp"

#include <algorithm>

#include "sse/json_text.hpp"
#include "util/outgoing_http.hpp"

namespace es::auth {
namespace {

constexpr std::chrono::seconds cache_errors_for{1};

// "user\0channel\0" first, so that all answers of one (user, channel) sit together.
std::string pair_prefix(const PermissionWebhook::Question& q) { return q.user + '\0' + q.channel + '\0'; }

// The prefix, then the digest of the forwarded headers: however long they are, the key
// is not much longer than the user and channel.
std::string cache_key(const PermissionWebhook::Question& q) {
  // The cookie's length first, so that no cookie ends where another's header begins.
  return pair_prefix(q) + digest(std::to_string(q.cookie.size()) + ':' + q.cookie + q.authorization);
}

} // namespace

PermissionWebhook::PermissionWebhook(WebhookPool& pool, std::string url, std::chrono::seconds cache_for,
                                     std::chrono::milliseconds timeout, CacheLimits limits)
    : url_(std::move(url)), cache_for_(cache_for), timeout_(timeout), limits_(limits),
      calls_(pool, "permission webhook", url_, Verdict::error, limits,
             [this](const auto& asked, Verdict verdict, auto& cache) { keep(asked, verdict, cache); }) {}

void PermissionWebhook::ask(Question question, bool fresh, Answer answer) {
  std::string key = cache_key(question);
  calls_.ask(std::move(key), fresh, [this, question = std::move(question)](void* curl) { return call(question, curl); },
             std::move(answer));
}

bool PermissionWebhook::kicked_since(const std::string& prefix, std::uint64_t asked) const {
  if (asked < kicks_forgotten_) return true; // perhaps: those kicks are forgotten
  auto it = last_kick_.find(prefix);
  return it != last_kick_.end() && it->second > asked;
}

void PermissionWebhook::keep(const WebhookCalls<Verdict>::Asked& asked, Verdict verdict, AnswerCache<Verdict>& cache) {
  std::string prefix = asked.key.substr(0, asked.key.size() - digest_size);
  if (asked.fresh) {
    // The permission changed before the kick was asked: every cached answer for this
    // (user, channel) is stale, and so is any answer to a question asked before it.
    cache.forget_prefix(prefix);
    auto& last = last_kick_[prefix];
    last = std::max(last, asked.number);
    latest_kick_ = std::max(latest_kick_, asked.number);
    if (last_kick_.size() > limits_.entries) {
      last_kick_.clear();
      kicks_forgotten_ = latest_kick_;
    }
    return;
  }
  if (kicked_since(prefix, asked.number)) return;
  cache.store(asked.key, verdict,
              AnswerCache<Verdict>::Clock::now() + (verdict == Verdict::error ? cache_errors_for : cache_for_));
}

PermissionWebhook::Verdict PermissionWebhook::call(const Question& q, void* curl) const {
  std::string body = "{\"user\": ";
  if (q.user.empty()) body += "null";
  else sse::append_python_json_string(body, q.user);
  body += ", \"channel\": ";
  sse::append_python_json_string(body, q.channel);
  body += "}";
  std::vector<std::string> headers;
  if (!q.cookie.empty()) headers.push_back("Cookie: " + q.cookie);
  if (!q.authorization.empty()) headers.push_back("Authorization: " + q.authorization);
  auto answer = http_post(curl, url_, body, headers, timeout_);

  if (answer.ok()) return Verdict::allow;
  if (answer.sent && (answer.status == 401 || answer.status == 403)) return Verdict::deny;
  // Every stream request asks, so a failing webhook is logged once a minute.
  static std::atomic<std::int64_t> last_logged{0};
  log_once_a_minute(last_logged, LogLevel::warn,
                    "permission webhook " + redacted_url(url_) + " failed for user '" + q.user + "' on channel '" +
                        q.channel + "': " + (answer.sent ? "status " + std::to_string(answer.status) : answer.error) +
                        "; the stream is refused");
  return Verdict::error;
}

} // namespace es::auth
