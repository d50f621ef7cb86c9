#include "redis/resp.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace es::redis {

void append_command(std::string& out, const std::vector<std::string_view>& args) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (auto arg : args) {
    out += '$';
    out += std::to_string(arg.size());
    out += "\r\n";
    out += arg;
    out += "\r\n";
  }
}

void ReplyReader::feed(std::string_view bytes) {
  if (start_ > 0 && start_ * 2 >= buffer_.size()) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_ += bytes;
}

// Taking a reply moves `start_` only: many replies in one read cost no copying each.
std::optional<Reply> ReplyReader::next() {
  std::size_t at = start_;
  auto reply = parse(at);
  if (reply) start_ = at;
  return reply;
}

std::optional<Reply> ReplyReader::parse(std::size_t& at) const {
  auto end = buffer_.find("\r\n", at);
  if (end == std::string::npos) return std::nullopt;
  char type = buffer_[at];
  std::string_view line(buffer_.data() + at + 1, end - at - 1);
  at = end + 2;
  auto integer = [&]() {
    std::int64_t value = 0;
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
    if (ec != std::errc() || p != line.data() + line.size())
      throw std::runtime_error("Redis sent a malformed number: " + std::string(line));
    return value;
  };
  Reply reply;
  switch (type) {
  case '+': reply.kind = Reply::Kind::status; reply.text = line; return reply;
  case '-': reply.kind = Reply::Kind::error; reply.text = line; return reply;
  case ':': reply.kind = Reply::Kind::integer; reply.integer = integer(); return reply;
  case '$': {
    auto size = integer();
    if (size < 0) return reply; // null
    if (buffer_.size() < at + static_cast<std::size_t>(size) + 2) return std::nullopt;
    reply.kind = Reply::Kind::bulk;
    reply.text = buffer_.substr(at, static_cast<std::size_t>(size));
    at += static_cast<std::size_t>(size) + 2;
    return reply;
  }
  case '*': {
    auto count = integer();
    if (count < 0) return reply; // null
    reply.kind = Reply::Kind::array;
    // Room for the elements that have arrived (3 bytes each at least), not for what the
    // count says: a count of 10^12 would throw bad_alloc out of the reader's thread.
    reply.elements.reserve(std::min(static_cast<std::size_t>(count), (buffer_.size() - at) / 3));
    for (std::int64_t i = 0; i < count; ++i) {
      auto element = parse(at);
      if (!element) return std::nullopt;
      reply.elements.push_back(std::move(*element));
    }
    return reply;
  }
  default: throw std::runtime_error("Redis sent something that is not RESP (starting with '" + std::string(1, type) + "')");
  }
}

} // namespace es::redis
