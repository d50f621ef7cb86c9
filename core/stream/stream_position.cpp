#include "stream/stream_position.hpp"

#include <algorithm>

#include "util/url.hpp"

namespace es::stream {
namespace {

// The reference reads at most 100 events per pass, split across the channels behind.
constexpr std::size_t page_size = 100;

} // namespace

StreamPosition::StreamPosition(const std::vector<std::string>& channels, const GlobSet& reliable,
                               storage::Storage* storage)
    : storage_(storage) {
  for (const auto& channel : channels) {
    Cursor cursor;
    cursor.channel = channel;
    cursor.encoded = percent_encode(channel);
    if (storage && reliable.matches(channel)) {
      cursor.stored = true;
      ++stored_;
    }
    cursors_.push_back(std::move(cursor));
  }
}

std::vector<std::string> StreamPosition::place(const sse::Position& given) {
  std::vector<std::string> reset;
  for (auto& cursor : cursors_) {
    if (!cursor.stored) continue;
    auto range = storage_->range(cursor.channel);
    cursor.delivered = range.head;
    auto it = std::find_if(given.begin(), given.end(), [&](const auto& entry) { return entry.first == cursor.channel; });
    if (it == given.end() || it->second == range.head) continue;
    // Resumable while the event after the position is still retained; an id from the
    // future, or one whose successor was trimmed, resets to the head.
    if (it->second < range.head && it->second + 1 >= range.first) {
      cursor.delivered = it->second;
      cursor.behind = true;
    } else {
      reset.push_back(cursor.channel);
    }
  }
  return reset;
}

bool StreamPosition::read_page(const Visit& visit, std::vector<std::string>& reset) {
  std::size_t behind = std::count_if(cursors_.begin(), cursors_.end(), [](const Cursor& c) { return c.behind; });
  if (behind == 0) return false;
  std::size_t budget = std::max<std::size_t>(1, page_size / behind);
  for (auto& cursor : cursors_) {
    if (!cursor.behind) continue;
    auto stored = storage_->read(cursor.channel, cursor.delivered, budget);
    bool gap = !stored.empty() && stored.front().id != cursor.delivered + 1;
    if (stored.size() < budget || gap) {
      cursor.behind = false;
      // Fewer than asked: caught up, unless what follows the cursor was trimmed while
      // this client was behind. Then it starts again at the head, and is told so.
      auto range = storage_->range(cursor.channel);
      if (gap || (range.first > cursor.delivered + 1 && range.head > cursor.delivered)) {
        cursor.delivered = range.head;
        reset.push_back(cursor.channel);
        continue;
      }
    }
    for (auto& event : stored) {
      cursor.delivered = event.id;
      visit(cursor, event);
    }
    // A full page may have been the last: then there is no page to come.
    if (cursor.behind && storage_->range(cursor.channel).head <= cursor.delivered) cursor.behind = false;
  }
  return true;
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

} // namespace es::stream
