#pragma once
// The worker threads that call the application (--auth-url, --channels-url), each with
// its own libcurl handle, so that it keeps its connections alive between calls. The
// I/O threads never wait for the application: they queue a job here and go on. The
// queue is bounded, so a flood of questions (or a dead application) is refused at once
// instead of piling up.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace es::auth {

class WebhookPool {
public:
  using Job = std::function<void(void* curl)>; // `curl` is the worker's CURL*
  static constexpr std::size_t max_queued = 10000;

  explicit WebhookPool(unsigned threads = 4);
  ~WebhookPool();
  WebhookPool(const WebhookPool&) = delete;
  WebhookPool& operator=(const WebhookPool&) = delete;

  // False, and `job` is dropped, when max_queued jobs wait already or the pool stopped.
  bool post(Job job);

  // True once stop() began: a job that is done calling delivers nothing.
  bool stopping();

  // Drops what is queued and waits for the jobs running: none runs after this returns.
  void stop();

private:
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace es::auth
