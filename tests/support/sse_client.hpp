#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http_client.hpp"

namespace es::test {

struct SseEvent {
  std::string type = "message";  // "message" when the event had no event: field
  std::string data;              // data lines joined by '\n'
  std::optional<std::string> id;  // this event's own id: field, not the inherited last-event-id

  bool operator==(const SseEvent&) const = default;
};

// An EventSource-like client that exposes everything a test may want to
// check: the response head, the exact body bytes, and the socket lifetime.
// Every wait is bounded by a timeout.
class SseClient {
 public:
  // Connects and sends the request; the response is only read on demand.
  // rcvbuf > 0 shrinks the socket's receive buffer to simulate a slow reader.
  SseClient(const std::string& host, int port, const std::string& target, const Headers& headers = {},
            const std::string& method = "GET", int rcvbuf = 0);
  ~SseClient();
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  // False if the head did not arrive in time (or the connection closed first);
  // throws if it is malformed.
  bool read_head(std::chrono::milliseconds timeout = std::chrono::seconds{5});
  int status() const { return head_.status; }
  const Headers& headers() const { return head_.headers; }
  std::string header(std::string_view name) const;  // "" if absent
  bool has_header(std::string_view name) const;
  bool chunked() const { return decoder_ && decoder_->chunked(); }
  std::optional<std::size_t> content_length() const;

  // Next complete event, or nullopt on timeout / end of stream. Unlike a
  // browser, an event with empty data is still dispatched if any event:,
  // data: or id: field was seen, since tests need to observe such events.
  std::optional<SseEvent> next_event(std::chrono::milliseconds timeout = std::chrono::seconds{5});
  // Events until `stop` returns true for one (included) or the timeout passes.
  std::vector<SseEvent> events_until(const std::function<bool(const SseEvent&)>& stop,
                                     std::chrono::milliseconds timeout);

  // True once the body is complete: final chunk, Content-Length reached, or EOF.
  bool ended(std::chrono::milliseconds timeout = std::chrono::seconds{5});
  // True once the server has closed (or reset) the connection.
  bool connection_closed(std::chrono::milliseconds timeout = std::chrono::seconds{5});

  const std::string& body() const { return body_; }  // de-chunked body bytes so far
  const std::string& raw() const { return raw_; }    // every byte received, head and framing included

  void close();

 private:
  // Reads once and feeds the head parser, body decoder and event parser.
  RecvStatus read_more(Clock::time_point deadline);
  bool body_finished() const { return eof_ || (decoder_ && decoder_->complete()); }
  void parse_lines();
  void on_line(std::string_view line);

  int fd_ = -1;
  std::string method_;
  std::string raw_;
  std::size_t raw_used_ = 0;  // bytes of raw_ consumed by the head and the decoder
  ResponseHead head_;
  std::optional<BodyDecoder> decoder_;  // set once the head has been parsed
  bool eof_ = false;

  std::string body_;
  std::size_t parsed_ = 0;  // bytes of body_ already split into lines
  bool skip_lf_ = false;    // the last line ended in '\r'; a following '\n' belongs to it
  SseEvent pending_;
  bool pending_has_field_ = false;
  std::deque<SseEvent> events_;
};

}  // namespace es::test
