#pragma once
// The permission webhook (--auth-url): the server asks the application whether a user
// may read a channel. One POST per (user, channel) with {"user": ID or null,
// "channel": NAME}, carrying the stream request's Cookie and Authorization headers;
// 2xx allows, 401/403 deny, anything else (or no answer in time) is an error that
// refuses the stream with internal-error. The calls are made and cached by
// WebhookCalls: allow and deny are kept for the cache period, errors for a second.
// A kick asks afresh, and its answer replaces every cached one for that user and
// channel, including those still on their way.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "auth/webhook_calls.hpp"

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
  using CacheLimits = WebhookCacheLimits;

  // Its calls run on `pool`, which must outlive it.
  PermissionWebhook(WebhookPool& pool, std::string url, std::chrono::seconds cache_for,
                    std::chrono::milliseconds timeout, CacheLimits limits = {});

  // `answer` runs at once for a cached verdict or a full queue, otherwise on a worker
  // thread. `fresh` (a kick) skips the cache, and its answer replaces every cached one
  // for that user and channel.
  void ask(Question question, bool fresh, Answer answer);

  // Stops the pool and drops what waits: no answer runs after this returns. Call it
  // while whatever the answers touch is still alive.
  void stop() { calls_.stop(); }

  // What the answer cache holds now, expired answers not yet dropped included.
  CacheUse cache_use() { return calls_.cache_use(); }

private:
  Verdict call(const Question& question, void* curl) const;
  // Under calls_' lock.
  void keep(const WebhookCalls<Verdict>::Asked& asked, Verdict verdict, AnswerCache<Verdict>& cache);
  bool kicked_since(const std::string& prefix, std::uint64_t asked) const;

  const std::string url_;
  const std::chrono::seconds cache_for_;
  const std::chrono::milliseconds timeout_;
  const CacheLimits limits_;
  // An answer to a question asked before a kick of its (user, channel) is not cached.
  std::map<std::string, std::uint64_t> last_kick_; // by (user, channel): the number of its latest kick's question
  std::uint64_t latest_kick_ = 0;                  // the highest of them
  std::uint64_t kicks_forgotten_ = 0;              // last_kick_ was cleared when latest_kick_ was this
  WebhookCalls<Verdict> calls_;                    // last: its stop() comes before the rest goes
};

} // namespace es::auth
