#pragma once
// Reading an SSE stream (the WHATWG rules), the other side of encoder.hpp: lines end with
// CR, LF or CRLF, wherever the chunks split them; `data:` lines join with '\n'; an event
// is dispatched at a blank line when it had data.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace es::sse {

struct ReceivedEvent {
  std::string type = "message";
  std::optional<std::string> id; // its own `id:` field, if it had one
  std::string data;
};

class Decoder {
public:
  // Calls `on_event` for each event completed by `bytes`; stops early (returning false)
  // when it returns false.
  bool feed(std::string_view bytes, const std::function<bool(const ReceivedEvent&)>& on_event);

  // The last `id:` seen, with or without data: what a reconnection resumes from.
  const std::optional<std::string>& last_id() const { return last_id_; }

private:
  bool end_line(const std::function<bool(const ReceivedEvent&)>& on_event);

  std::string line_;
  bool after_cr_ = false;
  ReceivedEvent event_;
  bool has_data_ = false;
  bool first_line_ = true;
  std::optional<std::string> last_id_;
};

} // namespace es::sse
