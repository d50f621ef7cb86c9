#include "sse_client.hpp"

#include <unistd.h>

#include <stdexcept>
#include <utility>

namespace es::test {

SseClient::SseClient(const std::string& host, int port, const std::string& target, const Headers& headers,
                     const std::string& method, int rcvbuf)
    : fd_(connect_tcp(host, port, rcvbuf)), method_(method) {
  Headers defaults{{"Host", host_port(host, port)}, {"Accept", "text/event-stream"}, {"Cache-Control", "no-cache"}};
  try {
    send_all(fd_, format_request(method, target, defaults, headers));
  } catch (...) {
    close();
    throw;
  }
}

SseClient::~SseClient() { close(); }

void SseClient::close() {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

std::string SseClient::header(std::string_view name) const { return find_header(head_.headers, name).value_or(""); }
bool SseClient::has_header(std::string_view name) const { return find_header(head_.headers, name).has_value(); }

std::optional<std::size_t> SseClient::content_length() const {
  return decoder_ ? decoder_->content_length() : std::nullopt;
}

RecvStatus SseClient::read_more(Clock::time_point deadline) {
  if (fd_ < 0) throw std::runtime_error("SseClient: read after close()");
  if (eof_) return RecvStatus::eof;
  auto st = recv_some(fd_, raw_, deadline);
  eof_ = st == RecvStatus::eof;
  if (!decoder_) {
    auto end = find_head_end(raw_);
    if (!end) return st;
    head_ = parse_response_head(std::string_view(raw_).substr(0, *end));
    decoder_.emplace(head_, method_);
    raw_used_ = *end;
  }
  raw_used_ += decoder_->feed(std::string_view(raw_).substr(raw_used_), body_);
  parse_lines();
  // A server streaming faster than we parse must not keep callers past their deadline.
  return st == RecvStatus::data && Clock::now() >= deadline ? RecvStatus::timeout : st;
}

bool SseClient::read_head(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!decoder_)
    if (read_more(deadline) != RecvStatus::data) break;
  return decoder_.has_value();
}

void SseClient::parse_lines() {
  // Lines end in "\r\n", "\n" or "\r"; a "\r\n" may be split across reads.
  while (parsed_ < body_.size()) {
    if (std::exchange(skip_lf_, false) && body_[parsed_] == '\n') {
      ++parsed_;
      continue;
    }
    auto eol = body_.find_first_of("\r\n", parsed_);
    if (eol == std::string::npos) return;
    std::string_view line(body_.data() + parsed_, eol - parsed_);
    skip_lf_ = body_[eol] == '\r';
    parsed_ = eol + 1;
    on_line(line);
  }
}

void SseClient::on_line(std::string_view line) {
  if (line.empty()) {
    if (std::exchange(pending_has_field_, false)) {
      if (!pending_.data.empty()) pending_.data.pop_back();  // the '\n' appended after the last data line
      if (pending_.type.empty()) pending_.type = "message";
      events_.push_back(std::exchange(pending_, SseEvent{}));
    }
    return;
  }
  if (line.front() == ':') return;
  auto colon = line.find(':');
  auto field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
  }
  if (field == "event") {
    pending_.type = value;
  } else if (field == "data") {
    pending_.data.append(value).push_back('\n');
  } else if (field == "id") {
    pending_.id = std::string(value);
  } else {
    return;  // retry: and unknown fields do not make an event
  }
  pending_has_field_ = true;
}

std::optional<SseEvent> SseClient::next_event(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (events_.empty() && !body_finished())
    if (read_more(deadline) == RecvStatus::timeout) break;
  if (events_.empty()) return std::nullopt;
  auto ev = std::move(events_.front());
  events_.pop_front();
  return ev;
}

std::vector<SseEvent> SseClient::events_until(const std::function<bool(const SseEvent&)>& stop,
                                              std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::vector<SseEvent> out;
  while (Clock::now() < deadline) {
    auto ev = next_event(std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()));
    if (!ev) break;
    out.push_back(std::move(*ev));
    if (stop(out.back())) break;
  }
  return out;
}

bool SseClient::ended(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!body_finished())
    if (read_more(deadline) == RecvStatus::timeout) break;
  return body_finished();
}

bool SseClient::connection_closed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!eof_)
    if (read_more(deadline) == RecvStatus::timeout) break;
  return eof_;
}

}  // namespace es::test
