#include "http/stream_session.hpp"

#include <cstdio>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "sse/encoder.hpp"
#include "util/log.hpp"

namespace es::http {

namespace net = boost::asio;
using boost::system::error_code;

namespace {
constexpr std::string_view crlf = "\r\n";
constexpr std::string_view last_chunk = "0\r\n\r\n";
} // namespace

StreamSession::StreamSession(net::ip::tcp::socket socket, SharedState& state, StreamPlan plan, unsigned http_version,
                             std::string description)
    : socket_(std::move(socket)), state_(state), plan_(std::move(plan)), chunked_(http_version >= 11),
      description_(std::move(description)), keep_alive_timer_(socket_.get_executor()) {}

void StreamSession::start() {
  opened_ = std::chrono::steady_clock::now();
  // Subscribe before the first byte goes out, so nothing published from now on is missed.
  std::weak_ptr<StreamSession> weak = weak_from_this();
  subscriber_ = std::make_shared<hub::Subscriber>(plan_.channels, state_.config.subscriber_queue, [weak] {
    if (auto self = weak.lock())
      net::post(self->socket_.get_executor(), [weak] {
        if (auto me = weak.lock(); me && !me->writing_) me->write_next();
      });
  });
  state_.hub.subscribe(subscriber_);

  head_ = "HTTP/1." + std::string(chunked_ ? "1" : "0") + " 200 OK\r\nContent-Type: text/event-stream\r\n";
  for (const auto& [name, value] : state_.stream_headers) head_ += name + ": " + value + "\r\n";
  head_ += chunked_ ? "Transfer-Encoding: chunked\r\n\r\n" : "Connection: close\r\n\r\n";
  auto preamble = sse::stream_preamble();
  if (chunked_) {
    char size[16];
    head_.append(size, static_cast<std::size_t>(std::snprintf(size, sizeof size, "%zx\r\n", preamble.size())));
  }
  head_ += preamble;
  if (chunked_) head_ += crlf;

  if (log_enabled(LogLevel::info)) log(LogLevel::info, "stream open " + description_);
  writing_ = true;
  last_write_ = std::chrono::steady_clock::now();
  net::async_write(socket_, net::buffer(head_),
                   [self = shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
  arm_keep_alive();
  watch_client();
}

void StreamSession::write_next() {
  if (closed_) return;
  bool any = subscriber_->take(batch_);
  if (!any && !keep_alive_due_) {
    writing_ = false;
    return;
  }
  keep_alive_due_ = false;

  buffers_.clear();
  buffers_.emplace_back(); // chunk size, filled in below
  std::size_t size = 0;
  auto add = [&](std::string_view bytes) {
    buffers_.emplace_back(bytes.data(), bytes.size());
    size += bytes.size();
  };
  for (const auto& event : batch_.events) {
    add(event->head);
    add(event->body);
  }
  events_sent_ += batch_.events.size();
  if (!batch_.overflowed.empty()) {
    reset_frame_ = sse::stream_reset("", batch_.overflowed);
    add(reset_frame_);
  }
  if (size == 0 && !batch_.closing) add(sse::keep_alive());

  if (chunked_ && size > 0) {
    int n = std::snprintf(chunk_size_.data(), chunk_size_.size(), "%zx\r\n", size);
    buffers_.front() = net::buffer(chunk_size_.data(), static_cast<std::size_t>(n));
    buffers_.emplace_back(crlf.data(), crlf.size());
  }
  if (batch_.closing) {
    ending_ = true;
    if (chunked_) buffers_.emplace_back(last_chunk.data(), last_chunk.size());
  }

  writing_ = true;
  last_write_ = std::chrono::steady_clock::now();
  net::async_write(socket_, buffers_, [self = shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
}

void StreamSession::on_write(error_code ec) {
  if (ec) return finish("client gone (" + ec.message() + ")");
  if (ending_) {
    error_code ignored;
    socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    return finish("server shutting down");
  }
  write_next();
}

void StreamSession::arm_keep_alive() {
  keep_alive_timer_.expires_at(last_write_ + state_.config.keep_alive);
  keep_alive_timer_.async_wait([self = shared_from_this()](error_code ec) { self->on_keep_alive(ec); });
}

void StreamSession::on_keep_alive(error_code ec) {
  if (ec || closed_) return;
  // The interval restarts with every write, so an active stream never gets keep-alives.
  if (!writing_ && std::chrono::steady_clock::now() - last_write_ >= state_.config.keep_alive) {
    keep_alive_due_ = true;
    write_next();
  }
  arm_keep_alive();
}

// An SSE client never sends anything after its request; reading is how a hang-up is
// noticed at once rather than at the next write.
void StreamSession::watch_client() {
  socket_.async_read_some(net::buffer(client_bytes_), [self = shared_from_this()](error_code ec, std::size_t) {
    if (ec) return self->finish("client closed the connection");
    self->watch_client();
  });
}

void StreamSession::finish(std::string_view why) {
  if (closed_) return;
  closed_ = true;
  state_.hub.unsubscribe(subscriber_);
  keep_alive_timer_.cancel();
  error_code ignored;
  socket_.close(ignored);
  if (log_enabled(LogLevel::info)) {
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.1fs", seconds);
    log(LogLevel::info, "stream closed " + description_ + ": " + std::string(why) + ", " +
                            std::to_string(events_sent_) + " events in " + took);
  }
}

} // namespace es::http
