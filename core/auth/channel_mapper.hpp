#pragma once
// The channel mapping (--channels-url), django-eventstream's get_channels_for_request:
// before a new stream is authorized, the server asks the application which channels it
// reads. One POST per stream request with {"path", "route", "params", "query", "user"},
// carrying the request's Cookie and Authorization headers (docs/protocol.md §18).
// 2xx with {"channels": [NAME, ...]} picks them; 401/403 refuse the stream with the
// answer's message; anything else (or no answer in time) is an error that refuses it
// with internal-error. The calls are made and cached by WebhookCalls: answers are kept
// for the cache period per whole question, errors for a second.
#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "auth/webhook_calls.hpp"
#include "util/url.hpp"

namespace es::auth {

struct Mapping {
  enum class Outcome { channels, forbidden, failed } outcome = Outcome::failed;
  std::vector<std::string> channels; // as the application gave them
  std::string message;               // forbidden: what to tell the client, sanitized and bounded
};

class ChannelMapper {
public:
  struct Question {
    std::string path; // decoded
    std::string route; // the route's path spec, "/rooms/{room}/events/"
    std::vector<std::pair<std::string, std::string>> params;
    QueryParams query;
    std::string user; // empty: anonymous
    std::string cookie;
    std::string authorization;
  };
  using Answer = std::function<void(const Mapping&)>;

  // Its calls run on `pool`, which must outlive it.
  ChannelMapper(WebhookPool& pool, std::string url, std::chrono::seconds cache_for, std::chrono::milliseconds timeout,
                WebhookCacheLimits limits = {});

  // `answer` runs at once for a cached mapping or a full queue, otherwise on a worker thread.
  void ask(const Question& question, Answer answer);

  // Stops the pool and drops what waits: no answer runs after this returns.
  void stop() { calls_.stop(); }

  // Forgets the answers given for `user` ("" : anonymous): a kick changed what they may
  // read, and a mapping cached before it may name a channel they lost.
  void forget_user(const std::string& user);

  CacheUse cache_use() { return calls_.cache_use(); }

private:
  Mapping call(const std::string& body, const Question& question, void* curl) const;

  const std::string url_;
  const std::chrono::seconds cache_for_;
  const std::chrono::milliseconds timeout_;
  WebhookCalls<Mapping> calls_; // last: its stop() comes before the rest goes
};

// The JSON body of `question`'s POST.
std::string mapping_request_body(const ChannelMapper::Question& question);

// What the application's answer (HTTP `status`, `body`) says, or why it says nothing
// (Outcome::failed, with the reason in `message`).
Mapping read_mapping_answer(long status, std::string_view body);

} // namespace es::auth
