#pragma once
// Event storage (docs/storage.md): per-channel counters and the events still retained. Two
// implementations: SQLite (durable, the default) and memory (same semantics, lost on
// restart). Ids of a channel are 1, 2, 3...; trimming removes the oldest first, so the
// retained events of a channel are always one contiguous run of ids ending at its head.
#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace es::storage {

using Clock = std::chrono::system_clock;

struct NewEvent {
  std::string_view channel;
  std::string_view type;
  std::string_view data;                   // the wire text after "data: "
  std::span<const std::string> skip_users{}; // users who must not receive it, replayed or live
};

struct StoredEvent {
  std::uint64_t id;
  std::string type;
  std::string data;
  std::vector<std::string> skip_users;
};

struct ChannelRange {
  std::uint64_t first; // the oldest retained id; head + 1 when nothing is retained
  std::uint64_t head;  // the last id given out; 0 for a channel never published to
};

// The operation failed and changed nothing; the message says why and what to do.
class StorageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class Storage {
public:
  virtual ~Storage() = default;

  // Stores all of `events` in one transaction, or none of them, and returns their ids.
  // Called from one thread only (the publisher's committer).
  virtual std::vector<std::uint64_t> append(const std::vector<NewEvent>& events, Clock::time_point now) = 0;

  // Safe from any thread. Reflects every append that has returned.
  virtual ChannelRange range(const std::string& channel) = 0;

  // Up to `limit` events of `channel` with ids above `after`, in id order. Any thread.
  virtual std::vector<StoredEvent> read(const std::string& channel, std::uint64_t after, std::size_t limit) = 0;

  // Deletes up to `limit` of the oldest events created before `cutoff`; returns how many
  // it deleted. Called from the committer thread, between appends.
  virtual std::size_t trim(Clock::time_point cutoff, std::size_t limit) = 0;
};

} // namespace es::storage
