#include "event_reader.hpp"

#include <charconv>

#include "lane.hpp"

namespace loadgen {

namespace {

bool find_number(std::string_view text, std::string_view key, std::int64_t& out) {
  auto at = text.find(key);
  if (at == std::string_view::npos) return false;
  at += key.size();
  while (at < text.size() && (text[at] == ' ' || text[at] == ':')) ++at;
  return std::from_chars(text.data() + at, text.data() + text.size(), out).ec == std::errc{};
}

} // namespace

void EventReader::mark_ready() {
  ready_ = true;
  ++lane_.connected;
}

void EventReader::feed(std::string_view body) {
  // Whole lines straight from the buffer; only a line cut by the read is copied.
  for (auto nl = body.find('\n'); nl != std::string_view::npos; nl = body.find('\n')) {
    if (partial_.empty()) {
      on_line(body.substr(0, nl));
    } else {
      partial_.append(body.substr(0, nl));
      on_line(partial_);
      partial_.clear();
    }
    body.remove_prefix(nl + 1);
  }
  partial_.append(body);
}

void EventReader::on_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.rfind("data:", 0) == 0) {
    data_.assign(line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5));
    return;
  }
  if (!line.empty() || data_.empty()) return;
  std::int64_t p = 0, seq = 0, t = 0;
  if (find_number(data_, "\"p\"", p) && find_number(data_, "\"seq\"", seq) && find_number(data_, "\"t\"", t) &&
      p >= 0 && p < 4096) {
    if (expected_.size() <= static_cast<std::size_t>(p)) expected_.resize(static_cast<std::size_t>(p) + 1, 0);
    bool in_order = seq == expected_[static_cast<std::size_t>(p)];
    expected_[static_cast<std::size_t>(p)] = seq + 1;
    ++received_;
    lane_.on_event(t, in_order, replaying_);
  }
  data_.clear();
}

} // namespace loadgen
