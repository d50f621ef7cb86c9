#include "auth/webhook.hpp"

#include <curl/curl.h>

#include "sse/json_text.hpp"
#include "util/log.hpp"

namespace es::auth {
namespace {

std::string cache_key(const PermissionWebhook::Question& q) { return q.user + '\0' + q.channel; }

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

} // namespace

PermissionWebhook::PermissionWebhook(std::string url, std::chrono::seconds cache_for, std::chrono::milliseconds timeout,
                                     unsigned workers)
    : url_(std::move(url)), cache_for_(cache_for), timeout_(timeout) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

PermissionWebhook::~PermissionWebhook() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
  curl_global_cleanup();
}

void PermissionWebhook::ask(Question question, bool fresh, Answer answer) {
  std::unique_lock lock(mutex_);
  if (!fresh) {
    auto it = cache_.find(cache_key(question));
    if (it != cache_.end() && it->second.until > std::chrono::steady_clock::now()) {
      Verdict verdict = it->second.verdict;
      lock.unlock();
      return answer(verdict);
    }
  }
  jobs_.push_back({std::move(question), std::move(answer)});
  wake_.notify_one();
}

void PermissionWebhook::work() {
  CURL* curl = curl_easy_init();
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) break;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Verdict verdict = call(job.question, curl);
    if (verdict != Verdict::error) {
      std::lock_guard lock(mutex_);
      // The cache only saves round trips: when it grows too large it simply starts over.
      if (cache_.size() > 100000) cache_.clear();
      cache_[cache_key(job.question)] = {verdict, std::chrono::steady_clock::now() + cache_for_};
    }
    job.answer(verdict);
  }
  curl_easy_cleanup(curl);
}

PermissionWebhook::Verdict PermissionWebhook::call(const Question& q, void* handle) {
  CURL* curl = static_cast<CURL*>(handle);
  curl_easy_reset(curl);
  std::string body = "{\"user\": ";
  if (q.user.empty()) body += "null";
  else sse::append_python_json_string(body, q.user);
  body += ", \"channel\": ";
  sse::append_python_json_string(body, q.channel);
  body += "}";

  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  std::string cookie = "Cookie: " + q.cookie, authorization = "Authorization: " + q.authorization;
  if (!q.cookie.empty()) headers = curl_slist_append(headers, cookie.c_str());
  if (!q.authorization.empty()) headers = curl_slist_append(headers, authorization.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);

  if (rc == CURLE_OK && status >= 200 && status < 300) return Verdict::allow;
  if (rc == CURLE_OK && (status == 401 || status == 403)) return Verdict::deny;
  log(LogLevel::warn, "permission webhook " + url_ + " failed for user '" + q.user + "' on channel '" + q.channel +
                          "': " + (rc != CURLE_OK ? curl_easy_strerror(rc) : "status " + std::to_string(status)) +
                          "; the stream is refused");
  return Verdict::error;
}

} // namespace es::auth
