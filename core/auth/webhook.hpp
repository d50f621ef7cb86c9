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
// The cache is bounded too, whatever clients send: it keys on a SHA-256 digest of the
// forwarded headers (a 15 KB cookie costs 32 bytes), holds at most CacheLimits entries
// and bytes (the soonest to expire make room), and drops expired answers as it stores.
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

// An answer costs its key (user, channel and a 32-byte digest) and about 200 bytes of
// bookkeeping; `bytes` counts both.
struct WebhookCacheLimits {
  std::size_t entries = 100000;
  std::size_t bytes = 32 << 20;
};

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
  using CacheLimits = WebhookCacheLimits;
  struct CacheUse {
    std::size_t entries;
    std::size_t bytes;
  };

  PermissionWebhook(std::string url, std::chrono::seconds cache_for, std::chrono::milliseconds timeout,
                    unsigned workers = 4, CacheLimits limits = {});
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

  // What the answer cache holds now, expired answers not yet dropped included.
  CacheUse cache_use();

private:
  using Clock = std::chrono::steady_clock;
  struct Job {
    Question question;
    std::string key;
    bool fresh;
    std::uint64_t kicks_seen; // kicks_ when it was asked
  };
  using Expiry = std::multimap<Clock::time_point, const std::string*>; // cache_'s keys, soonest to expire first
  struct Cached {
    Verdict verdict;
    Clock::time_point until;
    Expiry::iterator expiry;
  };
  using CacheEntry = std::map<std::string, Cached>::iterator;
  void work();
  Verdict call(const Question& question, void* curl);
  void remember(const Job& job, Verdict verdict);
  bool kicked_since(const std::string& pair, std::uint64_t kicks_seen) const;
  void store(const std::string& key, Verdict verdict, Clock::time_point until);
  CacheEntry forget(CacheEntry entry);

  const std::string url_;
  const std::chrono::seconds cache_for_;
  const std::chrono::milliseconds timeout_;
  const CacheLimits limits_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::map<std::string, std::vector<Answer>> waiting_; // by key: who waits for a queued question
  bool stopping_ = false;
  std::map<std::string, Cached> cache_; // ordered: a kick forgets a (user, channel) prefix
  Expiry expiry_;
  std::size_t cache_bytes_ = 0;
  // An answer to a question asked before a kick of its (user, channel) is not cached.
  std::uint64_t kicks_ = 0;                        // kicks so far
  std::map<std::string, std::uint64_t> last_kick_; // by (user, channel): kicks_ after its latest
  std::uint64_t kicks_forgotten_ = 0;              // last_kick_ was cleared when kicks_ was this
  std::vector<std::thread> workers_;
};

} // namespace es::auth
