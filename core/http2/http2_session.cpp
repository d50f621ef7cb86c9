#include "http2/http2_session.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "http2/http2_exchange.hpp"
#include "metrics/metrics.hpp"

namespace es::http2 {

namespace net = boost::asio;
using boost::system::error_code;

namespace {

// Gathered into one write at most: more waits for the next one, in nghttp2's queue.
constexpr std::size_t gather_limit = 64 * 1024;
// How long a connection that said GOAWAY is kept for the client to read it.
constexpr std::chrono::seconds closing_grace{2};
// Control frames nghttp2 may hold for a client that does not read them (answers to its
// pings and settings, resets of refused streams): past this, it is flooding.
constexpr std::size_t max_queued_frames = 1024;
// Control frames a client may send beside its requests (SETTINGS, PING, PRIORITY, empty
// DATA): a browser sends a few a minute.
constexpr double control_burst = 100;
constexpr double control_per_second = 10;
// RST_STREAM: a page closing all its EventSources resets every stream at once.
constexpr double resets_per_second = 20;
double reset_burst(const config::ServerConfig& config) {
  return std::max(100.0, 2.0 * static_cast<double>(config.h2_max_streams));
}

std::uint32_t setting(std::size_t value) {
  return static_cast<std::uint32_t>(std::min<std::size_t>(value, std::numeric_limits<std::int32_t>::max()));
}

nghttp2_session* new_session(void* self, const nghttp2_session_callbacks* callbacks) {
  nghttp2_option* option = nullptr;
  if (nghttp2_option_new(&option) != 0) throw std::bad_alloc();
  // Closed streams are not kept for the RFC 7540 priority tree, which is not used
  // (SETTINGS_NO_RFC7540_PRIORITIES): an idle connection costs nothing per stream it had.
  nghttp2_option_set_no_closed_streams(option, 1);
  nghttp2_session* session = nullptr;
  int failed = nghttp2_session_server_new2(&session, callbacks, self, option);
  nghttp2_option_del(option);
  if (failed) throw std::runtime_error(std::string("cannot start an HTTP/2 session: ") + nghttp2_strerror(failed));
  return session;
}

} // namespace

// nghttp2's callbacks: each is a step of the session, with `user_data` the session.
struct Http2Session::Callbacks {
  static Http2Session& of(void* user_data) { return *static_cast<Http2Session*>(user_data); }

  // The bounds on what a frame costs are checked as soon as its header is in.
  static int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user_data) {
    auto& self = of(user_data);
    auto now = Clock::now();
    bool control = false;
    switch (hd->type) {
    case NGHTTP2_HEADERS: self.block_.start(hd->length); break;
    case NGHTTP2_CONTINUATION: self.block_.add_frame(hd->length); break;
    case NGHTTP2_RST_STREAM:
      if (!self.resets_.take(now)) {
        self.close_for(Bound::rapid_reset, "streams reset faster than this server allows (CVE-2023-44487)");
        return NGHTTP2_ERR_CALLBACK_FAILURE;
      }
      break;
    case NGHTTP2_SETTINGS:
    case NGHTTP2_PING: control = !(hd->flags & NGHTTP2_FLAG_ACK); break;
    case NGHTTP2_PRIORITY: control = true; break;
    case NGHTTP2_DATA: control = hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_STREAM); break;
    default: break;
    }
    if (control && !self.control_.take(now)) {
      self.close_for(Bound::control_frames, "SETTINGS, PING, PRIORITY or empty DATA frames faster than this "
                                            "server allows");
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    if (auto abuse = self.block_.abuse(); !abuse.empty()) {
      self.close_for(Bound::header_block, abuse);
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    auto& self = of(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto exchange = std::make_shared<Http2Exchange>(self.shared_from_this(), frame->hd.stream_id);
    self.streams_.insert_or_assign(frame->hd.stream_id, Entry{exchange.get(), exchange});
    exchange->start();
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t name_length,
                       const std::uint8_t* value, std::size_t value_length, std::uint8_t, void* user_data) {
    auto& self = of(user_data);
    self.block_.add_field(name_length, value_length);
    if (auto abuse = self.block_.abuse(); !abuse.empty()) {
      self.close_for(Bound::header_block, abuse);
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    // Trailers are dropped, as over HTTP/1.1; a head over the limit is not kept.
    if (frame->headers.cat != NGHTTP2_HCAT_REQUEST || self.block_.over_limit()) return 0;
    if (auto* exchange = self.exchange(frame->hd.stream_id))
      exchange->add_field({reinterpret_cast<const char*>(name), name_length},
                          {reinterpret_cast<const char*>(value), value_length});
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    auto& self = of(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    auto* found = self.exchange(frame->hd.stream_id);
    if (!found) return 0;
    // What it does may end the stream: it stays alive until it is done.
    auto exchange = std::static_pointer_cast<Http2Exchange>(found->shared_from_this());
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
      exchange->on_head(self.block_.over_limit());
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) exchange->on_end();
    return 0;
  }

  static int on_data_chunk_recv(nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
                                std::size_t length, void* user_data) {
    if (auto* exchange = of(user_data).exchange(stream_id)) exchange->on_body(data, length);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code, void* user_data) {
    auto& self = of(user_data);
    auto at = self.streams_.find(stream_id);
    if (at == self.streams_.end()) return 0;
    at->second.stream->on_close(error_code);
    // Its answer's bytes may be in the write being gathered, or in flight.
    if (at->second.exchange) self.after_next_write({nullptr, std::move(at->second.exchange), {}});
    self.forget(at);
    return 0;
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    auto& self = of(user_data);
    if (frame->hd.type != NGHTTP2_GOAWAY) return 0;
    // Ours, or nghttp2's own over a protocol error or one of its limits.
    self.goaway_in_output_ = true;
    if (!self.closing_) {
      self.closing_ = true;
      self.closing_at_ = Clock::now();
      self.arm(self.closing_at_ + closing_grace);
    }
    if (frame->goaway.error_code != NGHTTP2_NO_ERROR && !std::exchange(self.reported_, true))
      report(Bound::protocol, self.peer_,
             std::string(nghttp2_http2_strerror(frame->goaway.error_code)) + " (" +
                 std::string(reinterpret_cast<const char*>(frame->goaway.opaque_data), frame->goaway.opaque_data_len) +
                 ")");
    return 0;
  }

  // DATA without a copy: its frame header, then the stream's bytes by reference. No
  // padding is ever chosen, so there is none to write.
  static int send_data(nghttp2_session*, nghttp2_frame* frame, const std::uint8_t* frame_header, std::size_t length,
                       nghttp2_data_source*, void* user_data) {
    auto& self = of(user_data);
    auto* stream = self.stream(frame->hd.stream_id);
    if (!stream) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    self.output_.copy({reinterpret_cast<const char*>(frame_header), 9});
    stream->take_data(length, self.output_);
    self.last_progress_ = Clock::now();
    return 0;
  }

  static ssize_t read_data(nghttp2_session*, std::int32_t stream_id, std::uint8_t*, std::size_t length,
                           std::uint32_t* flags, nghttp2_data_source*, void* user_data) {
    auto* stream = of(user_data).stream(stream_id);
    if (!stream) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return stream->next_data(length, *flags);
  }

  static std::unique_ptr<nghttp2_session_callbacks, void (*)(nghttp2_session_callbacks*)> make() {
    nghttp2_session_callbacks* callbacks = nullptr;
    if (nghttp2_session_callbacks_new(&callbacks) != 0) throw std::bad_alloc();
    nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, on_begin_frame);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, on_frame_send);
    nghttp2_session_callbacks_set_send_data_callback(callbacks, send_data);
    return {callbacks, nghttp2_session_callbacks_del};
  }
};

Http2Session::Http2Session(http::Transport transport, net::ip::tcp::endpoint peer, http::ConnectionSlot slot,
                           http::SharedState& state, std::size_t shard, http::Serves serves, std::string already_read)
    : transport_(std::move(transport)), peer_(peer), slot_(std::move(slot)), state_(state), shard_(shard),
      serves_(serves), already_read_(std::move(already_read)),
      session_(new_session(this, Callbacks::make().get()), nghttp2_session_del), block_(state.config),
      resets_(reset_burst(state.config), resets_per_second), control_(control_burst, control_per_second),
      timer_(transport_.get_executor()), idle_since_(Clock::now()) {
  metrics::metrics().http2_connections_open.fetch_add(1, std::memory_order_relaxed);
}

Http2Session::~Http2Session() { metrics::metrics().http2_connections_open.fetch_sub(1, std::memory_order_relaxed); }

void Http2Session::run() {
  net::dispatch(executor(), [self = shared_from_this()] {
    const auto& config = self->state_.config;
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, setting(config.h2_max_streams)},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, setting(config.max_header_bytes)},
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
    };
    nghttp2_submit_settings(self->session_.get(), NGHTTP2_FLAG_NONE, settings, std::size(settings));
    self->arm(self->idle_since_ + config.header_timeout);
    auto first = std::exchange(self->already_read_, {});
    self->receive(reinterpret_cast<const std::uint8_t*>(first.data()), first.size());
    self->flush();
    self->read();
  });
}

// After a GOAWAY what the client still sends is read and dropped until the connection
// closes: closed with unread bytes, it would be reset, and the reset could destroy the
// GOAWAY before the client reads it.
void Http2Session::read() {
  if (dead_ || (!closing_ && !nghttp2_session_want_read(session_.get()))) return;
  transport_.async_read_some(net::buffer(read_buffer_),
                             [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void Http2Session::on_read(error_code ec, std::size_t n) {
  if (dead_) return;
  if (ec) return die(); // the client left
  receive(read_buffer_.data(), n);
  flush();
  finish_if_done();
  read();
}

void Http2Session::receive(const std::uint8_t* data, std::size_t size) {
  if (closing_ || dead_ || size == 0) return;
  auto used = nghttp2_session_mem_recv(session_.get(), data, size);
  if (used < 0) return on_fatal(static_cast<int>(used));
  if (nghttp2_session_get_outbound_queue_size(session_.get()) > max_queued_frames)
    close_for(Bound::control_frames, "over " + std::to_string(max_queued_frames) +
                                         " control frames queued that the client does not read");
}

// nghttp2 gave up on the connection: over one of its own bounds, on bytes that are not
// HTTP/2, or because a callback stopped it (a bound of ours: the GOAWAY is submitted).
void Http2Session::on_fatal(int error) {
  if (closing_) return flush();
  std::uint32_t code = NGHTTP2_PROTOCOL_ERROR;
  Bound bound = Bound::protocol;
  if (error == NGHTTP2_ERR_FLOODED) {
    bound = Bound::control_frames;
    code = NGHTTP2_ENHANCE_YOUR_CALM;
  } else if (error == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
    bound = Bound::header_block;
    code = NGHTTP2_ENHANCE_YOUR_CALM;
  }
  close_for(bound, nghttp2_strerror(error), code);
  flush();
}

void Http2Session::close_for(Bound bound, const std::string& why, std::uint32_t error_code) {
  if (closing_ || dead_) return;
  if (!std::exchange(reported_, true)) report(bound, peer_, why);
  goaway(error_code, why);
}

void Http2Session::goaway(std::uint32_t error_code, const std::string& why) {
  if (closing_ || dead_) return;
  closing_ = true;
  closing_at_ = Clock::now();
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_.get()),
                        error_code, reinterpret_cast<const std::uint8_t*>(why.data()), why.size());
  arm(closing_at_ + closing_grace);
  want_write();
}

void Http2Session::want_write() {
  if (flush_posted_ || dead_) return;
  flush_posted_ = true;
  net::post(executor(), [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush();
    self->finish_if_done();
  });
}

void Http2Session::flush() {
  if (dead_) return complete(std::exchange(gathering_, {}), net::error::operation_aborted);
  if (writing_) return;
  gathering_now_ = true;
  while (output_.size() < gather_limit) {
    const std::uint8_t* data = nullptr;
    auto n = nghttp2_session_mem_send(session_.get(), &data);
    if (n < 0) {
      gathering_now_ = false;
      return die(); // nghttp2 can no longer say anything on this connection
    }
    if (n == 0) break;
    output_.copy({reinterpret_cast<const char*>(data), static_cast<std::size_t>(n)});
  }
  gathering_now_ = false;
  if (output_.empty()) {
    // Nothing more to send: a quiet connection keeps no write buffers (its many idle
    // streams are what it mostly holds).
    output_.release();
    return complete(std::exchange(gathering_, {}), {});
  }
  bool was_busy = busy();
  writing_ = true;
  became_busy(was_busy);
  in_flight_ = std::exchange(gathering_, {});
  net::async_write(transport_, output_.frame({}, {}, {}),
                   [self = shared_from_this()](error_code ec, std::size_t) { self->on_written(ec); });
}

void Http2Session::on_written(error_code ec) {
  writing_ = false;
  output_.clear();
  if (!ec) last_progress_ = Clock::now();
  complete(std::exchange(in_flight_, {}), ec);
  if (ec) die();
  if (dead_) return complete(std::exchange(gathering_, {}), net::error::operation_aborted);
  // What the client still sends is read and dropped (read()) until it closes or the
  // grace runs out: closing at once, with its bytes unread, would reset the connection.
  if (goaway_in_output_) return transport_.shutdown_send();
  flush();
  finish_if_done();
}

void Http2Session::complete(std::vector<Written> done, error_code ec) {
  for (auto& written : done) {
    if (written.owner) written.owner->on_written(written.ec ? written.ec : ec);
    else if (written.exchange) written.exchange->on_answer_written();
  }
}

void Http2Session::after_next_write(Written done) {
  if (dead_) return after_current_write(std::move(done));
  gathering_.push_back(std::move(done));
  want_write();
}

void Http2Session::after_current_write(Written done) {
  if (writing_) return in_flight_.push_back(std::move(done));
  if (gathering_now_) return gathering_.push_back(std::move(done)); // it may carry some of the bytes
  net::post(executor(), [self = shared_from_this(), done = std::move(done)]() mutable {
    self->complete({std::move(done)}, {});
  });
}

// nghttp2 wants nothing more: both sides said GOAWAY and no stream is left.
void Http2Session::finish_if_done() {
  if (dead_ || writing_) return;
  if (nghttp2_session_want_read(session_.get()) || nghttp2_session_want_write(session_.get())) return;
  transport_.shutdown_send();
  die();
}

void Http2Session::die() {
  if (dead_) return;
  dead_ = true;
  timer_.cancel();
  transport_.close();
  slot_.reset();
  // What they do when told may come back here: they are told from a copy.
  auto streams = std::exchange(streams_, {});
  for (auto& [id, entry] : streams) {
    entry.stream->on_close(NGHTTP2_CANCEL);
    if (entry.exchange) after_next_write({nullptr, std::move(entry.exchange), {}});
  }
  if (!writing_) complete(std::exchange(gathering_, {}), net::error::operation_aborted);
}

bool Http2Session::submit_response(std::int32_t id, ResponseFields& fields, bool with_body) {
  if (dead_) return false;
  nghttp2_data_provider provider{};
  provider.read_callback = Callbacks::read_data;
  const auto& nv = fields.nv();
  if (nghttp2_submit_response(session_.get(), id, nv.data(), nv.size(), with_body ? &provider : nullptr) != 0)
    return false;
  want_write();
  return true;
}

void Http2Session::resume(std::int32_t id) {
  if (dead_) return;
  nghttp2_session_resume_data(session_.get(), id);
  want_write();
}

void Http2Session::reset(std::int32_t id, std::uint32_t error_code) {
  if (dead_ || !nghttp2_session_find_stream(session_.get(), id)) return;
  nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, id, error_code);
  want_write();
}

void Http2Session::attach(std::int32_t id, Http2Stream* sink) {
  auto at = streams_.find(id);
  if (at == streams_.end()) return;
  at->second.stream = sink;
  at->second.exchange.reset();
}

void Http2Session::detach(std::int32_t id, const Http2Stream* stream) {
  auto at = streams_.find(id);
  if (at == streams_.end() || at->second.stream != stream) return;
  forget(at);
  reset(id, NGHTTP2_CANCEL);
}

void Http2Session::forget(std::unordered_map<std::int32_t, Entry>::iterator at) {
  streams_.erase(at);
  if (!streams_.empty() || dead_) return;
  idle_since_ = Clock::now();
  if (state_.shutting_down) return goaway(NGHTTP2_NO_ERROR, "the server is shutting down");
  arm(idle_since_ + state_.config.header_timeout);
}

void Http2Session::waiting(bool more) {
  bool was_busy = busy();
  if (more) ++streams_waiting_;
  else --streams_waiting_;
  became_busy(was_busy);
}

void Http2Session::became_busy(bool was_busy) {
  if (was_busy || !busy()) return;
  last_progress_ = Clock::now();
  arm(last_progress_ + state_.config.write_timeout);
}

// The timer runs to the earliest deadline that may be due; on_timer checks which is.
void Http2Session::arm(Clock::time_point at) {
  if (dead_ || (timer_at_ && *timer_at_ <= at)) return;
  timer_at_ = at;
  timer_.expires_at(at);
  timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec) return;
    self->timer_at_.reset();
    self->on_timer();
  });
}

void Http2Session::on_timer() {
  if (dead_) return;
  auto now = Clock::now();
  const auto& config = state_.config;
  if (closing_) {
    if (now >= closing_at_ + closing_grace) return die();
    return arm(closing_at_ + closing_grace);
  }
  if (streams_.empty()) {
    if (now >= idle_since_ + config.header_timeout) return goaway(NGHTTP2_NO_ERROR, "idle for --header-timeout");
    return arm(idle_since_ + config.header_timeout);
  }
  if (busy()) {
    if (now >= last_progress_ + config.write_timeout)
      return close_for(Bound::stalled, "nothing could be sent for --write-timeout (" +
                                           std::to_string(config.write_timeout.count()) + " s)");
    arm(last_progress_ + config.write_timeout);
  }
}

Http2Stream* Http2Session::stream(std::int32_t id) {
  auto at = streams_.find(id);
  return at == streams_.end() ? nullptr : at->second.stream;
}

Http2Exchange* Http2Session::exchange(std::int32_t id) {
  auto at = streams_.find(id);
  return at == streams_.end() ? nullptr : at->second.exchange.get();
}

} // namespace es::http2
