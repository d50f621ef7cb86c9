#pragma once
// The publishing pipeline: validated items -> store (commit) -> encode once -> hub, and
// the GRIP proxies.
//
// With durable storage one committer thread does all of it, in order. Requests that
// arrive while it is busy are taken together as one group: one storage transaction (one
// fsync) for all of them, then one hub fan-out, then every request is answered. So an
// event is durable before anyone sees it or its publisher is told, ids and delivery
// order agree, and many concurrent publishers cost few commits. Where a commit costs
// nothing worth grouping (memory, none), the caller's thread does the same under the
// lock. Between groups the committer trims expired events a little at a time, so
// trimming never holds up a publish for long.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "grip/grip_publisher.hpp"
#include "hub/hub.hpp"
#include "publish/publish_request.hpp"
#include "redis/redis_fanout.hpp"
#include "storage/storage.hpp"
#include "util/glob_set.hpp"

namespace es::publish {

struct PublishOutcome {
  std::vector<std::optional<std::string>> ids; // per item, "channel:id"; nullopt: delivered live only
  std::string error;                              // set when nothing was published
};

class Publisher {
public:
  // `storage` may be null (live only). Channels matching `reliable` are stored.
  // `group_commits`: commit on the committer thread, grouping concurrent requests.
  // `grip` (may be null) gets every event too, for the GRIP proxies. With `fanout` (not
  // null: instances share a Redis), events reach the hubs of every instance, this one
  // included, through Redis.
  Publisher(hub::Hubs& hubs, storage::Storage* storage, bool group_commits, GlobSet reliable,
            std::chrono::seconds retention, grip::GripPublisher* grip = nullptr,
            redis::RedisFanout* fanout = nullptr);
  ~Publisher();

  using Done = std::function<void(PublishOutcome)>;
  // `done` runs once the items are stored and fanned out, or failed: on the committer
  // thread, or on the caller's when commits are not grouped.
  void publish(std::vector<PublishItem> items, Done done);

  // Publishes what is queued, then stops the committer.
  void stop();

private:
  struct Request {
    std::vector<PublishItem> items;
    Done done;
  };
  void run();
  void commit(std::vector<Request>& group);
  void commit_all_or_answer(std::vector<Request>& group);
  bool trim_some();

  hub::Hubs& hubs_;
  grip::GripPublisher* const grip_;
  redis::RedisFanout* const fanout_;
  storage::Storage* const storage_;
  const bool group_commits_;
  const GlobSet reliable_;
  const std::chrono::seconds retention_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::thread committer_;
};

} // namespace es::publish
