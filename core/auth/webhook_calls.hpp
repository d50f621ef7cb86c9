#pragma once
// What the permission webhook and the channel mapping share: questions to the
// application, asked on the WebhookPool's threads, whose answers are cached
// (AnswerCache); the same question asked again while it is being answered waits for
// that answer instead of calling again.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "auth/answer_cache.hpp"
#include "auth/webhook_pool.hpp"
#include "util/log.hpp"
#include "util/url.hpp"

namespace es::auth {

template <class Answer>
class WebhookCalls {
public:
  using Reply = std::function<void(const Answer&)>;
  using Call = std::function<Answer(void* curl)>; // makes the call, on a worker thread
  struct Asked {
    const std::string& key;
    bool fresh;
    std::uint64_t number; // questions asked so far, this one included
  };
  // Under the lock, once an answer came: keeps it in the cache, or not.
  using Keep = std::function<void(const Asked&, const Answer&, AnswerCache<Answer>&)>;

  // `name` and `url` say in the log who is not answering; `refused` is the answer when
  // the queue is full.
  WebhookCalls(WebhookPool& pool, std::string name, std::string url, Answer refused, WebhookCacheLimits limits,
               Keep keep)
      : pool_(pool), name_(std::move(name)), url_(std::move(url)), refused_(std::move(refused)), cache_(limits),
        keep_(std::move(keep)) {}
  // The pool's workers may be answering this one's questions.
  ~WebhookCalls() { stop(); }
  WebhookCalls(const WebhookCalls&) = delete;
  WebhookCalls& operator=(const WebhookCalls&) = delete;

  // `reply` runs at once for a cached answer or a full queue, otherwise on a worker
  // thread. `key` is the whole question (digested where it is long). A `fresh`
  // question skips the cache and shares no other's call.
  void ask(std::string key, bool fresh, Call call, Reply reply) {
    std::unique_lock lock(mutex_);
    if (!fresh) {
      if (const Answer* cached = cache_.find(key, AnswerCache<Answer>::Clock::now())) {
        Answer answer = *cached;
        lock.unlock();
        return reply(answer);
      }
      auto waiting = waiting_.find(key);
      if (waiting != waiting_.end()) return waiting->second.push_back(std::move(reply));
    }
    std::string waiting_key = fresh ? key + std::string("\0fresh", 6) : key;
    auto& waiting = waiting_[waiting_key];
    waiting.push_back(std::move(reply));
    auto job = [this, key = std::move(key), waiting_key, fresh, number = ++asked_,
                call = std::move(call)](void* curl) { answer(Asked{key, fresh, number}, waiting_key, call(curl)); };
    if (stopping_ || !pool_.post(std::move(job))) {
      bool full = !stopping_;
      Reply refused = std::move(waiting.back());
      waiting_.erase(waiting_key);
      lock.unlock();
      static std::atomic<std::int64_t> last_logged{0};
      if (full)
        log_once_a_minute(last_logged, LogLevel::warn,
                          name_ + " " + redacted_url(url_) + ": " + std::to_string(WebhookPool::max_queued) +
                              " questions are waiting; refusing more until the application catches up");
      return refused(refused_);
    }
  }

  // Stops the pool and drops the questions waiting: no reply runs after this returns.
  // Call it while whatever the replies touch is still alive.
  void stop() {
    pool_.stop();
    std::lock_guard lock(mutex_);
    stopping_ = true;
    waiting_.clear();
  }

  // Forgets the cached answers whose keys start with `prefix`.
  void forget(const std::string& prefix) {
    std::lock_guard lock(mutex_);
    cache_.forget_prefix(prefix);
  }

  // What the cache holds now, expired answers not yet dropped included.
  CacheUse cache_use() {
    std::lock_guard lock(mutex_);
    return cache_.use();
  }

private:
  void answer(const Asked& asked, const std::string& waiting_key, const Answer& answer) {
    if (pool_.stopping()) return;
    std::vector<Reply> replies;
    {
      std::lock_guard lock(mutex_);
      keep_(asked, answer, cache_);
      auto waiting = waiting_.find(waiting_key);
      if (waiting != waiting_.end()) {
        replies = std::move(waiting->second);
        waiting_.erase(waiting);
      }
    }
    // stop() joins the pool's threads, so what the replies touch is alive until they are done.
    for (auto& reply : replies) reply(answer);
  }

  WebhookPool& pool_;
  const std::string name_;
  const std::string url_;
  const Answer refused_;
  std::mutex mutex_;
  bool stopping_ = false;
  std::map<std::string, std::vector<Reply>> waiting_; // by question: who waits for its answer
  AnswerCache<Answer> cache_;
  std::uint64_t asked_ = 0;
  Keep keep_;
};

} // namespace es::auth
