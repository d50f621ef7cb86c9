#include "stream/stream_position.hpp"

#include <algorithm>
#include <utility>

#include "util/url.hpp"

namespace es::stream {
namespace {

// The reference reads at most 100 events per pass, split across the channels behind.
constexpr std::size_t page_size = 100;

} // namespace

StreamPosition::StreamPosition(const std::vector<std::string>& channels, const GlobSet& reliable, bool stored) {
  for (const auto& channel : channels) {
    Cursor cursor;
    cursor.channel = channel;
    cursor.encoded = percent_encode(channel);
    if (stored && reliable.matches(channel)) {
      cursor.stored = true;
      ++stored_;
    }
    cursors_.push_back(std::move(cursor));
  }
}

std::vector<std::string> StreamPosition::stored_channels() const {
  std::vector<std::string> channels;
  for (const auto& cursor : cursors_)
    if (cursor.stored) channels.push_back(cursor.channel);
  return channels;
}

std::vector<std::string> StreamPosition::place(const sse::Position& given,
                                               const std::vector<storage::ChannelRange>& ranges) {
  std::vector<std::string> reset;
  auto range = ranges.begin();
  for (auto& cursor : cursors_) {
    if (!cursor.stored) continue;
    auto [first, head] = *range++;
    cursor.delivered = head;
    auto it = std::find_if(given.begin(), given.end(), [&](const auto& entry) { return entry.first == cursor.channel; });
    if (it == given.end() || it->second == head) continue;
    // Resumable while the event after the position is still retained; an id from the
    // future, or one whose successor was trimmed, resets to the head.
    if (it->second < head && it->second + 1 >= first) {
      cursor.delivered = it->second;
      cursor.behind = true;
    } else {
      reset.push_back(cursor.channel);
    }
  }
  return reset;
}

std::vector<PageRead> StreamPosition::next_page() const {
  std::vector<PageRead> reads;
  std::size_t behind = std::count_if(cursors_.begin(), cursors_.end(), [](const Cursor& c) { return c.behind; });
  if (behind == 0) return reads;
  std::size_t budget = std::max<std::size_t>(1, page_size / behind);
  for (std::size_t i = 0; i < cursors_.size(); ++i)
    if (cursors_[i].behind) reads.push_back({i, cursors_[i].channel, cursors_[i].delivered, budget});
  return reads;
}

void StreamPosition::apply_page(const std::vector<PageRead>& reads, std::vector<PageResult>& results,
                                const Visit& visit, std::vector<std::string>& reset) {
  for (std::size_t r = 0; r < reads.size(); ++r) {
    Cursor& cursor = cursors_[reads[r].cursor];
    auto& [stored, range] = results[r];
    bool gap = !stored.empty() && stored.front().id != cursor.delivered + 1;
    bool trimmed = false;
    if (stored.size() < reads[r].limit || gap) {
      cursor.behind = false;
      // Fewer than asked: caught up, unless what follows the cursor was trimmed while
      // this client was behind. Then it starts again at the head, and is told so.
      trimmed = gap || (range.first > cursor.delivered + 1 && range.head > cursor.delivered);
    }
    if (trimmed) {
      cursor.delivered = range.head;
      reset.push_back(cursor.channel);
    } else {
      for (auto& event : stored) {
        cursor.delivered = event.id;
        visit(cursor, event);
      }
      // A full page may have been the last: then there is no page to come.
      if (cursor.behind && range.head <= cursor.delivered) cursor.behind = false;
    }
    // Offered while this page was read, so newer than its range: the next page has it.
    if (std::exchange(cursor.offered, 0) > cursor.delivered) cursor.behind = true;
  }
}

bool StreamPosition::any_behind() const {
  return std::any_of(cursors_.begin(), cursors_.end(), [](const Cursor& c) { return c.behind; });
}

Cursor& StreamPosition::cursor(std::string_view channel) {
  return *std::find_if(cursors_.begin(), cursors_.end(), [&](const Cursor& c) { return c.channel == channel; });
}

void StreamPosition::append_position(std::string& out) const {
  bool first = true;
  for (const auto& c : cursors_) {
    if (!c.stored) continue;
    if (!first) out += ',';
    first = false;
    sse::append_position_pair(out, c.encoded, c.delivered);
  }
}

void StreamPosition::append_id_line(std::string& out) const {
  if (stored_ == 0) return;
  out += "id: ";
  append_position(out);
  out += '\n';
}

std::vector<storage::ChannelRange> read_ranges(storage::Storage& storage, const std::vector<std::string>& channels) {
  std::vector<storage::ChannelRange> ranges;
  for (const auto& channel : channels) ranges.push_back(storage.range(channel));
  return ranges;
}

std::vector<PageResult> read_page(storage::Storage& storage, const std::vector<PageRead>& reads) {
  std::vector<PageResult> results;
  for (const auto& read : reads) {
    auto events = storage.read(read.channel, read.after, read.limit);
    results.push_back({std::move(events), storage.range(read.channel)});
  }
  return results;
}

} // namespace es::stream
