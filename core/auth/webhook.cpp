#include "auth/webhook.hpp"

#include <curl/curl.h>

#include "sse/json_text.hpp"
#include "util/outgoing_http.hpp"
#include "util/log.hpp"

namespace es::auth {
namespace {

constexpr std::size_t max_queued = 10000;
constexpr std::size_t max_cached = 100000;
constexpr std::chrono::seconds cache_errors_for{1};

// "user\0channel\0" first, so that all entries of one (user, channel) sit together.
std::string pair_prefix(const PermissionWebhook::Question& q) { return q.user + '\0' + q.channel + '\0'; }
std::string cache_key(const PermissionWebhook::Question& q) {
  return pair_prefix(q) + q.cookie + '\0' + q.authorization;
}

} // namespace

PermissionWebhook::PermissionWebhook(std::string url, std::chrono::seconds cache_for, std::chrono::milliseconds timeout,
                                     unsigned workers)
    : url_(std::move(url)), cache_for_(cache_for), timeout_(timeout) {
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

void PermissionWebhook::ask(Question question, bool fresh, Answer answer) {
  std::unique_lock lock(mutex_);
  std::string key = cache_key(question);
  if (!fresh) {
    auto cached = cache_.find(key);
    if (cached != cache_.end() && cached->second.until > std::chrono::steady_clock::now()) {
      Verdict verdict = cached->second.verdict;
      lock.unlock();
      return answer(verdict);
    }
    auto waiting = waiting_.find(key);
    if (waiting != waiting_.end()) return waiting->second.push_back(std::move(answer));
  }
  if (stopping_ || jobs_.size() >= max_queued) {
    lock.unlock();
    log(LogLevel::warn, "permission webhook " + url_ + " has " + std::to_string(max_queued) +
                            " questions waiting; refusing more until it catches up");
    return answer(Verdict::error);
  }
  // A fresh question gets its own waiting list, so it never shares an answer given
  // before the permission changed.
  if (fresh) key += "\0fresh";
  waiting_[key].push_back(std::move(answer));
  std::uint64_t kicks_seen = kicks_of(pair_prefix(question));
  jobs_.push_back({std::move(question), std::move(key), fresh, kicks_seen});
  wake_.notify_one();
}

std::uint64_t PermissionWebhook::kicks_of(const std::string& prefix) const {
  auto it = kicks_.find(prefix);
  return it == kicks_.end() ? 0 : it->second;
}

void PermissionWebhook::remember(const Job& job, Verdict verdict) {
  auto now = std::chrono::steady_clock::now();
  std::string prefix = pair_prefix(job.question);
  if (job.fresh) {
    // The permission changed: every cached answer for this (user, channel) is stale, and
    // so is any answer still on its way to a question asked before now.
    for (auto it = cache_.lower_bound(prefix); it != cache_.end() && it->first.starts_with(prefix);)
      it = cache_.erase(it);
    ++kicks_[prefix];
    return;
  }
  if (kicks_of(prefix) != job.kicks_seen) return;
  if (cache_.size() >= max_cached) { // the cache only saves round trips
    cache_.clear();
    kicks_.clear();
  }
  cache_[job.key] = {verdict, now + (verdict == Verdict::error ? cache_errors_for : cache_for_)};
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
  log(LogLevel::warn, "permission webhook " + url_ + " failed for user '" + q.user + "' on channel '" + q.channel +
                          "': " + (answer.sent ? "status " + std::to_string(answer.status) : answer.error) +
                          "; the stream is refused");
  return Verdict::error;
}

} // namespace es::auth
