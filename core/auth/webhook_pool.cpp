#include "auth/webhook_pool.hpp"

#include <curl/curl.h>

namespace es::auth {

WebhookPool::WebhookPool(unsigned threads) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WebhookPool::~WebhookPool() {
  stop();
  curl_global_cleanup();
}

bool WebhookPool::post(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || jobs_.size() >= max_queued) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

bool WebhookPool::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void WebhookPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
}

void WebhookPool::work() {
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
    job(curl);
  }
  curl_easy_cleanup(curl);
}

} // namespace es::auth
