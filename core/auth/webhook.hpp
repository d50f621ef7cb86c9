#pragma once
// The permission webhook (--auth-url): the server asks the application whether a user
// may read a channel. One POST per (user, channel) with {"user": ID or null,
// "channel": NAME}, carrying the stream request's Cookie and Authorization headers;
// 2xx allows, 401/403 deny, anything else (or no answer in time) is an error that
// refuses the stream with internal-error. Requests run on worker threads with libcurl,
// never on the I/O threads; allow and deny answers are cached for a while.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace es::auth {

class PermissionWebhook {
public:
  enum class Verdict { allow, deny, error };
  struct Question {
    std::string user; // empty: anonymous
    std::string channel;
    std::string cookie;
    std::string authorization;
  };
  using Answer = std::function<void(Verdict)>;

  PermissionWebhook(std::string url, std::chrono::seconds cache_for, std::chrono::milliseconds timeout,
                    unsigned workers = 4);
  ~PermissionWebhook();
  PermissionWebhook(const PermissionWebhook&) = delete;
  PermissionWebhook& operator=(const PermissionWebhook&) = delete;

  // `answer` runs at once for a cached verdict, otherwise on a worker thread.
  // `fresh` skips the cache (a kick re-checks).
  void ask(Question question, bool fresh, Answer answer);

private:
  struct Job {
    Question question;
    Answer answer;
  };
  void work();
  Verdict call(const Question& question, void* curl);

  const std::string url_;
  const std::chrono::seconds cache_for_;
  const std::chrono::milliseconds timeout_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  struct Cached {
    Verdict verdict;
    std::chrono::steady_clock::time_point until;
  };
  std::unordered_map<std::string, Cached> cache_;
  std::vector<std::thread> workers_;
};

} // namespace es::auth
