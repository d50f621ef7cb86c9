#pragma once
// The permission webhook (--auth-url): the server asks the application whether a user
// may read a channel. One POST per (user, channel) with {"user": ID or null,
// "channel": NAME}, carrying the stream request's Cookie and Authorization headers;
// 2xx allows, 401/403 deny, anything else (or no answer in time) is an error that
// refuses the stream with internal-error. Requests run on worker threads with libcurl,
// never on the I/O threads. Answers are cached per (user, channel, forwarded headers):
// allow and deny for the cache period, errors for a second; the same question asked
// again while it is being answered waits for that answer; and the queue is bounded, so
// a flood of questions (or a dead application) is refused at once instead of piling up.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <map>
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

  // `answer` runs at once for a cached verdict or a full queue, otherwise on a worker
  // thread. `fresh` (a kick) skips the cache, and its answer replaces every cached one
  // for that user and channel.
  void ask(Question question, bool fresh, Answer answer);

  // Drops what is queued and waits for the workers: no answer runs after this returns.
  // Call it while whatever the answers touch is still alive.
  void stop();

private:
  struct Job {
    Question question;
    std::string key;
    bool fresh;
    std::uint64_t kicks_seen; // kicks of this (user, channel) when it was asked
  };
  void work();
  Verdict call(const Question& question, void* curl);
  void remember(const Job& job, Verdict verdict);
  std::uint64_t kicks_of(const std::string& pair) const;

  const std::string url_;
  const std::chrono::seconds cache_for_;
  const std::chrono::milliseconds timeout_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::map<std::string, std::vector<Answer>> waiting_; // by key: who waits for a queued question
  bool stopping_ = false;
  struct Cached {
    Verdict verdict;
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::string, Cached> cache_; // ordered: a kick forgets a (user, channel) prefix
  // Kicks per (user, channel): an answer to a question asked before a kick is not cached.
  std::map<std::string, std::uint64_t> kicks_;
  std::vector<std::thread> workers_;
};

} // namespace es::auth
