#include "sse/encoder.hpp"

#include "sse/json_text.hpp"

namespace es::sse {
namespace {

void append_channel_list(std::string& out, const std::vector<std::string>& channels) {
  out += "[";
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (i) out += ", ";
    append_python_json_string(out, channels[i]);
  }
  out += "]";
}

} // namespace

std::string_view stream_preamble() {
  static const std::string preamble = ":" + std::string(2048, ' ') + "\n\nevent: stream-open\ndata:\n\n";
  return preamble;
}

std::string_view keep_alive() { return "event: keep-alive\ndata:\n\n"; }

std::string comment(std::string_view text) {
  std::string out = ": ";
  for (char c : text) out += c == '\r' || c == '\n' ? ' ' : c;
  out += "\n\n";
  return out;
}

std::string event_head(std::string_view type) {
  std::string out = "event: ";
  out += type;
  out += "\n";
  return out;
}

std::string event_body(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 8);
  while (true) {
    auto brk = data.find_first_of("\r\n");
    out += "data: ";
    out += data.substr(0, brk);
    out += "\n";
    if (brk == std::string_view::npos) break;
    std::size_t skip = (data[brk] == '\r' && brk + 1 < data.size() && data[brk + 1] == '\n') ? 2 : 1;
    data = data.substr(brk + skip);
  }
  out += "\n";
  return out;
}

void append_id_line(std::string& out, std::string_view position) {
  if (position.empty()) return;
  out += "id: ";
  out += position;
  out += "\n";
}

std::string stream_error(std::string_view condition, std::string_view text,
                         const std::vector<std::string>& channels) {
  std::string out = "event: stream-error\nid: error\ndata: {\"condition\": ";
  append_python_json_string(out, condition);
  out += ", \"text\": ";
  append_python_json_string(out, text);
  if (!channels.empty()) {
    out += ", \"channels\": ";
    append_channel_list(out, channels);
  }
  out += "}\n\n";
  return out;
}

std::string_view stream_reset_head() { return "event: stream-reset\n"; }

std::string stream_reset_body(const std::vector<std::string>& channels) {
  std::string out = "data: {\"channels\": ";
  append_channel_list(out, channels);
  out += "}\n\n";
  return out;
}

} // namespace es::sse
