#pragma once
// Where one stream is (docs/protocol.md §4): a cursor per channel, the last id the client has of
// each stored channel. Streams served here and streams held by a GRIP proxy both place
// their cursors from the client's last id and read what they are behind from storage
// with this, a page at a time.
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
};

class StreamPosition {
public:
  // `storage` may be null (live only); channels matching `reliable` are stored.
  StreamPosition(const std::vector<std::string>& channels, const GlobSet& reliable, storage::Storage* storage);

  // Places the cursors of stored channels at the client's position `given`, or at the
  // head. Returns the channels that must be reset: their position is unknown (from the
  // future, or trimmed). Throws what storage throws.
  std::vector<std::string> place(const sse::Position& given);

  // One page of stored events (100, split over the cursors behind; 4.5.1 splits over
  // all channels), each passed to `visit` after its cursor moved to it. A cursor whose
  // next events were trimmed jumps to the head and its channel is added to `reset`.
  // False when no cursor was behind; afterwards only cursors with more to read are.
  using Visit = std::function<void(const Cursor&, storage::StoredEvent&)>;
  bool read_page(const Visit& visit, std::vector<std::string>& reset);

  bool any_behind() const;
  std::size_t stored_count() const { return stored_; }
  Cursor& cursor(std::string_view channel); // one of this stream's channels
  const std::vector<Cursor>& cursors() const { return cursors_; }

  // "a:3,b%20c:7": every stored channel's cursor, in channel order.
  void append_position(std::string& out) const;
  // "id: <position>\n", or nothing when no channel is stored.
  void append_id_line(std::string& out) const;

private:
  storage::Storage* storage_;
  std::vector<Cursor> cursors_;
  std::size_t stored_ = 0;
};

} // namespace es::stream
