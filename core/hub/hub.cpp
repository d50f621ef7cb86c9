#include "hub/hub.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "metrics/metrics.hpp"

namespace es::hub {

void Hub::subscribe(const std::shared_ptr<Subscriber>& subscriber) {
  if (closed_) {
    if (subscriber->close()) subscriber->wake();
    return;
  }
  for (const auto& channel : subscriber->channels()) {
    auto [it, fresh] = channels_.try_emplace(channel);
    it->second.push_back(subscriber);
    if (fresh && source_) source_->held(channel, true);
  }
  if (subscriber->subscription()) topics_.add(subscriber);
  counters.channels.store(channels_.size(), std::memory_order_relaxed);
  ++subscribers_;
}

void Hub::unsubscribe(const std::shared_ptr<Subscriber>& subscriber) {
  bool found = false;
  for (const auto& channel : subscriber->channels()) {
    auto it = channels_.find(channel);
    if (it == channels_.end()) continue;
    auto& list = it->second;
    auto pos = std::find(list.begin(), list.end(), subscriber);
    if (pos == list.end()) continue;
    found = true;
    *pos = std::move(list.back());
    list.pop_back();
    if (!list.empty()) continue;
    channels_.erase(it);
    if (source_) source_->held(channel, false);
  }
  if (found && subscriber->subscription()) topics_.remove(subscriber);
  counters.channels.store(channels_.size(), std::memory_order_relaxed);
  if (found) --subscribers_;
}

void Hub::publish(std::span<const EventPtr> events, std::span<const std::size_t> request_ends) {
  std::size_t begin = 0;
  for (std::size_t end : request_ends) {
    ++publishes_;
    for (const auto& event : events.subspan(begin, end - begin)) {
      auto offer = [&](const std::shared_ptr<Subscriber>& subscriber) {
        auto offered = subscriber->offer(event, publishes_);
        if (offered.wake) woken_.push_back(subscriber);
        if (offered.dropped) metrics::bump(counters.dropped);
      };
      if (event->update) {
        topics_.route(*event->update, offer);
        continue;
      }
      auto it = channels_.find(event->channel);
      if (it == channels_.end()) continue;
      for (const auto& subscriber : it->second) offer(subscriber);
    }
    begin = end;
  }
  // Wakes run after the whole publish is queued; a wake may unsubscribe, so the list
  // is walked from its own copy of the pointers.
  for (const auto& subscriber : woken_) subscriber->wake();
  woken_.clear();
}

void Hub::close_all() {
  closed_ = true;
  for (auto& [channel, list] : channels_)
    for (const auto& subscriber : list)
      if (subscriber->close()) woken_.push_back(subscriber);
  for (const auto& subscriber : woken_) subscriber->wake();
  woken_.clear();
}

void Hub::missed_all() {
  for (const auto& [channel, subscribers] : channels_)
    for (const auto& subscriber : subscribers)
      if (subscriber->missed(channel)) woken_.push_back(subscriber);
  for (const auto& subscriber : woken_) subscriber->wake();
  woken_.clear();
}

std::size_t Hub::kick(const std::string& user, const std::string& channel, bool application_allows) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return 0;
  // Copied: a stream that ends unsubscribes, which changes the list.
  std::vector<std::shared_ptr<Subscriber>> theirs;
  for (const auto& subscriber : it->second)
    if (subscriber->user() == user) theirs.push_back(subscriber);
  std::size_t ended = 0;
  for (const auto& subscriber : theirs) ended += subscriber->recheck(channel, application_allows);
  return ended;
}

Hubs::Hubs(std::vector<boost::asio::any_io_executor> executors) {
  for (auto& executor : executors) {
    shards_.push_back(std::make_unique<Shard>());
    shards_.back()->executor = std::move(executor);
    shards_.back()->hub = std::make_unique<Hub>();
  }
}

void Hubs::publish(std::vector<EventPtr> events, std::vector<std::size_t> request_ends) {
  if (observer_) observer_(events);
  auto shared = std::make_shared<const Published>(Published{std::move(events), std::move(request_ends)});
  for (auto& shard : shards_) {
    // A stream subscribes (its shard counts it) before it reads any head from storage. So if
    // this load still sees an empty shard, the commit before it came before that read,
    // which finds the events in storage: skipping loses nothing a cursor would not
    // catch up. Live-only events racing a subscribe were never promised either way.
    if (shard->hub->subscribers() == 0) continue;
    std::lock_guard lock(shard->mutex);
    shard->pending.push_back(shared);
    if (!std::exchange(shard->draining, true))
      boost::asio::post(shard->executor, [&shard = *shard] { drain(shard); });
  }
}

void Hubs::drain(Shard& shard) {
  std::deque<std::shared_ptr<const Published>> ready;
  while (true) {
    {
      std::lock_guard lock(shard.mutex);
      if (shard.pending.empty()) {
        shard.draining = false;
        return;
      }
      ready.swap(shard.pending);
    }
    for (const auto& published : ready) shard.hub->publish(published->events, published->request_ends);
    ready.clear();
  }
}

std::size_t Hubs::subscriber_count() const {
  std::size_t sum = 0;
  for (const auto& shard : shards_) sum += shard->hub->subscribers();
  return sum;
}

std::uint64_t Hubs::total(std::atomic<std::uint64_t> ShardCounters::*counter) const {
  std::uint64_t sum = 0;
  for (const auto& shard : shards_) sum += (shard->hub->counters.*counter).load(std::memory_order_relaxed);
  return sum;
}

void Hubs::missed_all() {
  for (auto& shard : shards_) boost::asio::post(shard->executor, [hub = shard->hub.get()] { hub->missed_all(); });
}

void Hubs::set_source(ChannelSource* source) {
  for (auto& shard : shards_) shard->hub->set_source(source);
}

void Hubs::close_all() {
  for (auto& shard : shards_) boost::asio::post(shard->executor, [hub = shard->hub.get()] { hub->close_all(); });
}

} // namespace es::hub

namespace es::hub {

void Hubs::kick(std::string user, std::string channel, bool application_allows,
                std::function<void(std::size_t)> done) {
  struct Tally {
    std::string user, channel;
    std::function<void(std::size_t)> done;
    std::atomic<std::size_t> ended{0}, shards_left{0};
  };
  auto tally = std::make_shared<Tally>();
  tally->user = std::move(user);
  tally->channel = std::move(channel);
  tally->done = std::move(done);
  tally->shards_left = shards_.size();
  for (auto& shard : shards_)
    boost::asio::post(shard->executor, [hub = shard->hub.get(), tally, application_allows] {
      tally->ended += hub->kick(tally->user, tally->channel, application_allows);
      if (--tally->shards_left == 0) tally->done(tally->ended);
    });
}

} // namespace es::hub
