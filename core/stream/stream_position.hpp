#pragma once
// Where one stream is (docs/protocol.md §4): a cursor per channel, the last id the client has of
// each stored channel. Streams served here and streams held by a GRIP proxy both place
// their cursors from the client's last id and read what they are behind from storage
// with this, a page at a time. The rules: a resumed cursor is behind until it reaches
// the head; a cursor whose next event was trimmed, or whose id is unknown, is reset to
// the head; no event is sent twice or skipped.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sse/event_id.hpp"
#include "storage/storage.hpp"
#include "util/glob_set.hpp"

namespace es::stream {

struct Cursor {
  std::string channel;
  std::string encoded; // percent-encoded, as in ids and proxy channel names
  bool stored = false;
  std::uint64_t delivered = 0; // last id sent (stored channels)
  bool behind = false;         // storage holds events after `delivered` not yet sent
  // The newest id the mailbox offered while behind (skipped: storage serves it). One
  // committed while a page was being read is not in it, so the page does not catch up.
  std::uint64_t offered = 0;
};

// One cursor's share of a page: its events after `after`, at most `limit`.
struct PageRead {
  std::size_t cursor; // index in cursors()
  std::string channel;
  std::uint64_t after;
  std::size_t limit;
};
// What storage answered for one PageRead: the events, then the channel's range, read
// after them.
struct PageResult {
  std::vector<storage::StoredEvent> events;
  storage::ChannelRange range;
};

// The position is pure: it says what to read and applies what was read, on the stream's
// thread. The reads themselves are the blocking functions below, run wherever storage
// may block (storage::ReaderPool).
class StreamPosition {
public:
  // Channels matching `reliable` are stored; with `stored` false, none is (live only).
  StreamPosition(const std::vector<std::string>& channels, const GlobSet& reliable, bool stored);

  // The channels whose ranges place() needs, in cursor order.
  std::vector<std::string> stored_channels() const;
  // Places the cursors of stored channels at the client's position `given`, or at the
  // head, from `ranges` (one per stored_channels(), read after the stream subscribed).
  // Returns the channels that must be reset: their position is unknown (from the
  // future, or trimmed).
  std::vector<std::string> place(const sse::Position& given, const std::vector<storage::ChannelRange>& ranges);

  // The next page: 100 events split over the cursors behind (4.5.1 splits over all
  // channels). Empty when no cursor is behind.
  std::vector<PageRead> next_page() const;
  // Applies what storage gave for `reads` (from next_page(), cursors unmoved since):
  // each event is passed to `visit` after its cursor moved to it. A cursor whose next
  // events were trimmed jumps to the head and its channel is added to `reset`.
  // Afterwards only cursors with more to read are behind, counting what was offered.
  using Visit = std::function<void(const Cursor&, storage::StoredEvent&)>;
  void apply_page(const std::vector<PageRead>& reads, std::vector<PageResult>& results, const Visit& visit,
                  std::vector<std::string>& reset);

  bool any_behind() const;
  std::size_t stored_count() const { return stored_; }
  Cursor& cursor(std::string_view channel); // one of this stream's channels
  const std::vector<Cursor>& cursors() const { return cursors_; }

  // "a:3,b%20c:7": every stored channel's cursor, in channel order.
  void append_position(std::string& out) const;
  // "id: <position>\n", or nothing when no channel is stored.
  void append_id_line(std::string& out) const;

private:
  std::vector<Cursor> cursors_;
  std::size_t stored_ = 0;
};

// The blocking halves, for a reader thread. They throw what storage throws.
std::vector<storage::ChannelRange> read_ranges(storage::Storage& storage, const std::vector<std::string>& channels);
std::vector<PageResult> read_page(storage::Storage& storage, const std::vector<PageRead>& reads);

} // namespace es::stream
