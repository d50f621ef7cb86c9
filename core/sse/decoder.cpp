#include "sse/decoder.hpp"

namespace es::sse {

bool Decoder::feed(std::string_view bytes, const std::function<bool(const ReceivedEvent&)>& on_event) {
  for (char c : bytes) {
    if (c == '\n' && after_cr_) {
      after_cr_ = false; // the LF of a CRLF
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\r' || c == '\n') {
      if (!end_line(on_event)) return false;
    } else {
      line_ += c;
    }
  }
  return true;
}

bool Decoder::end_line(const std::function<bool(const ReceivedEvent&)>& on_event) {
  std::string line;
  line.swap(line_);
  // A byte order mark may open the stream; it is not part of the first line.
  if (first_line_ && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
  first_line_ = false;
  if (line.empty()) {
    bool go_on = true;
    if (event_.type.empty()) event_.type = "message";
    if (has_data_) go_on = on_event(event_);
    event_ = ReceivedEvent{};
    has_data_ = false;
    return go_on;
  }
  if (line[0] == ':') return true; // a comment
  auto colon = line.find(':');
  std::string_view name = std::string_view(line).substr(0, colon);
  std::string_view value = colon == std::string::npos ? std::string_view{} : std::string_view(line).substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (name == "event") {
    event_.type = value;
  } else if (name == "data") {
    if (has_data_) event_.data += '\n';
    event_.data += value;
    has_data_ = true;
  } else if (name == "id" && value.find('\0') == std::string_view::npos) {
    event_.id = std::string(value);
    last_id_ = event_.id;
  }
  return true;
}

} // namespace es::sse
