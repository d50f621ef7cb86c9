#include "auth/webhook.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <new>

#include "sse/json_text.hpp"
#include "util/outgoing_http.hpp"
#include "util/log.hpp"
#include "util/url.hpp"

namespace es::auth {
namespace {

using namespace std::literals;

constexpr std::size_t max_queued = 10000;
constexpr std::chrono::seconds cache_errors_for{1};
// A cached answer's two tree nodes (cache_, expiry_) beyond its key, roughly.
constexpr std::size_t entry_overhead = 200;

// "user\0channel\0" first, so that all entries of one (user, channel) sit together.
std::string pair_prefix(const PermissionWebhook::Question& q) { return q.user + '\0' + q.channel + '\0'; }

// The prefix, then the SHA-256 of the forwarded headers: however long they are, the key
// is not much longer than the user and channel.
std::string cache_key(const PermissionWebhook::Question& q) {
  // The cookie's length first, so that no cookie ends where another's header begins.
  std::string forwarded = std::to_string(q.cookie.size()) + ':' + q.cookie + q.authorization;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!EVP_Digest(forwarded.data(), forwarded.size(), digest, &size, EVP_sha256(), nullptr))
    throw std::bad_alloc(); // OpenSSL's digests fail only when memory runs out
  return pair_prefix(q).append(reinterpret_cast<const char*>(digest), size);
}

} // namespace

PermissionWebhook::PermissionWebhook(std::string url, std::chrono::seconds cache_for, std::chrono::milliseconds timeout,
                                     unsigned workers, CacheLimits limits)
    : url_(std::move(url)), cache_for_(cache_for), timeout_(timeout), limits_(limits) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

PermissionWebhook::~PermissionWebhook() {
  stop();
  curl_global_cleanup();
}

void PermissionWebhook::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
    waiting_.clear();
  }
  wake_.notify_all();
  for (auto& worker : workers_)
    if (worker.joinable()) worker.join();
}

PermissionWebhook::CacheUse PermissionWebhook::cache_use() {
  std::lock_guard lock(mutex_);
  return {cache_.size(), cache_bytes_};
}

void PermissionWebhook::ask(Question question, bool fresh, Answer answer) {
  std::unique_lock lock(mutex_);
  std::string key = cache_key(question);
  if (!fresh) {
    auto cached = cache_.find(key);
    if (cached != cache_.end() && cached->second.until > Clock::now()) {
      Verdict verdict = cached->second.verdict;
      lock.unlock();
      return answer(verdict);
    }
    auto waiting = waiting_.find(key);
    if (waiting != waiting_.end()) return waiting->second.push_back(std::move(answer));
  }
  if (stopping_ || jobs_.size() >= max_queued) {
    lock.unlock();
    static std::atomic<std::int64_t> last_logged{0};
    log_once_a_minute(last_logged, LogLevel::warn,
                      "permission webhook " + redacted_url(url_) + " has " + std::to_string(max_queued) +
                          " questions waiting; refusing more until it catches up");
    return answer(Verdict::error);
  }
  // A fresh question gets its own waiting list, so it never shares an answer given
  // before the permission changed.
  if (fresh) key += "\0fresh"sv;
  waiting_[key].push_back(std::move(answer));
  jobs_.push_back({std::move(question), std::move(key), fresh, kicks_});
  wake_.notify_one();
}

bool PermissionWebhook::kicked_since(const std::string& prefix, std::uint64_t kicks_seen) const {
  if (kicks_seen < kicks_forgotten_) return true; // perhaps: those kicks are forgotten
  auto it = last_kick_.find(prefix);
  return it != last_kick_.end() && it->second > kicks_seen;
}

void PermissionWebhook::remember(const Job& job, Verdict verdict) {
  std::string prefix = pair_prefix(job.question);
  if (job.fresh) {
    // The permission changed: every cached answer for this (user, channel) is stale, and
    // so is any answer still on its way to a question asked before now.
    for (auto it = cache_.lower_bound(prefix); it != cache_.end() && it->first.starts_with(prefix);) it = forget(it);
    last_kick_[prefix] = ++kicks_;
    if (last_kick_.size() > limits_.entries) {
      last_kick_.clear();
      kicks_forgotten_ = kicks_;
    }
    return;
  }
  if (kicked_since(prefix, job.kicks_seen)) return;
  store(job.key, verdict, Clock::now() + (verdict == Verdict::error ? cache_errors_for : cache_for_));
}

void PermissionWebhook::store(const std::string& key, Verdict verdict, Clock::time_point until) {
  auto now = Clock::now();
  while (!expiry_.empty() && expiry_.begin()->first <= now) forget(cache_.find(*expiry_.begin()->second));
  if (auto old = cache_.find(key); old != cache_.end()) forget(old);
  std::size_t cost = key.size() + entry_overhead;
  if (cost > limits_.bytes) return;
  // The cache only saves round trips: the answers that would expire first make room.
  while (!cache_.empty() && (cache_.size() >= limits_.entries || cache_bytes_ + cost > limits_.bytes))
    forget(cache_.find(*expiry_.begin()->second));
  auto entry = cache_.emplace(key, Cached{verdict, until, {}}).first;
  entry->second.expiry = expiry_.emplace(until, &entry->first);
  cache_bytes_ += cost;
}

PermissionWebhook::CacheEntry PermissionWebhook::forget(CacheEntry entry) {
  expiry_.erase(entry->second.expiry);
  cache_bytes_ -= entry->first.size() + entry_overhead;
  return cache_.erase(entry);
}

void PermissionWebhook::work() {
  CURL* curl = curl_easy_init();
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) break;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Verdict verdict = call(job.question, curl);
    std::vector<Answer> answers;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      remember(job, verdict);
      auto waiting = waiting_.find(job.key);
      if (waiting != waiting_.end()) {
        answers = std::move(waiting->second);
        waiting_.erase(waiting);
      }
    }
    // stop() joins this thread, so what the answers touch is alive until they are done.
    for (auto& answer : answers) answer(verdict);
  }
  curl_easy_cleanup(curl);
}

PermissionWebhook::Verdict PermissionWebhook::call(const Question& q, void* curl) {
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
