#include "h2_subscribers.hpp"

#include <charconv>
#include <cstring>

#include <nghttp2/nghttp2.h>

#include "event_reader.hpp"
#include "lane.hpp"

namespace loadgen {

namespace {

// Large windows, so that flow control never holds a stream back: the bench measures the
// server's fan-out, and nghttp2 sends WINDOW_UPDATEs as the subscribers read.
constexpr std::uint32_t stream_window = 1u << 20;
constexpr std::int32_t connection_window = 1 << 30;

using Stream = H2Subscribers::Stream;

Stream* stream_of(nghttp2_session* session, std::int32_t id) {
  return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
}

int on_header(nghttp2_session* session, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t name_length,
              const std::uint8_t* value, std::size_t value_length, std::uint8_t, void*) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_RESPONSE) return 0;
  Stream* stream = stream_of(session, frame->hd.stream_id);
  if (stream && name_length == 7 && std::memcmp(name, ":status", 7) == 0) {
    const char* text = reinterpret_cast<const char*>(value);
    std::from_chars(text, text + value_length, stream->status);
  }
  return 0;
}

int on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* connection) {
  if (frame->hd.type == NGHTTP2_SETTINGS && !(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
    static_cast<H2Subscribers*>(connection)->on_settings();
    return 0;
  }
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_RESPONSE) return 0;
  Stream* stream = stream_of(session, frame->hd.stream_id);
  if (!stream || stream->over) return 0;
  if (stream->status == 200) {
    stream->reader->mark_ready();
    return 0;
  }
  static_cast<H2Subscribers*>(connection)->stream_failed(*stream, "answer: HTTP/2 " + std::to_string(stream->status));
  nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_CANCEL);
  return 0;
}

int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                  std::size_t length, void*) {
  Stream* stream = stream_of(session, id);
  if (stream && !stream->over && stream->reader->ready())
    stream->reader->feed({reinterpret_cast<const char*>(data), length});
  return 0;
}

int on_stream_close(nghttp2_session* session, std::int32_t id, std::uint32_t error, void* connection) {
  Stream* stream = stream_of(session, id);
  if (!stream || stream->over) return 0;
  static_cast<H2Subscribers*>(connection)->stream_failed(
      *stream, error == NGHTTP2_NO_ERROR ? "the server ended the stream"
                                         : std::string("stream reset: ") + nghttp2_http2_strerror(error));
  return 0;
}

nghttp2_nv header(const std::string& name, const std::string& value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

} // namespace

H2Subscribers::H2Subscribers(Lane& lane, net::ssl::context* tls, StreamRequest request,
                             std::vector<std::shared_ptr<EventReader>> readers)
    : lane_(lane), stream_(lane.ioc, tls), request_(std::move(request)) {
  streams_.reserve(readers.size()); // stable: nghttp2 holds pointers to them
  for (auto& reader : readers) streams_.push_back({std::move(reader)});
}

H2Subscribers::~H2Subscribers() {
  if (session_) nghttp2_session_del(session_);
}

void H2Subscribers::start(const tcp::endpoint& server, const net::ip::address& source, const std::string& host) {
  stream_.connect(server, source, host, [self = shared_from_this()](const std::string& failed, error_code ec) {
    if (!failed.empty()) return self->fail_all(failed + ": " + ec.message());
    if (self->stream_.tls() && self->stream_.alpn() != "h2")
      return self->fail_all("ALPN: the server chose '" + self->stream_.alpn() +
                            "', not h2 (does this server speak HTTP/2? without --h2, https:// is HTTP/1.1)");
    self->open_session();
  });
}

void H2Subscribers::open_session() {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) return fail_all("HTTP/2: out of memory");
  nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
  int rv = nghttp2_session_client_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) return fail_all(std::string("HTTP/2: ") + nghttp2_strerror(rv));

  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                       {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, stream_window}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, connection_window);

  static const std::string method = ":method", get = "GET", scheme = ":scheme", authority = ":authority",
                           path = ":path", accept = "accept", event_stream = "text/event-stream",
                           cache_control = "cache-control", no_cache = "no-cache";
  std::vector<nghttp2_nv> headers{header(method, get), header(scheme, request_.scheme),
                                  header(authority, request_.authority), header(path, request_.path),
                                  header(accept, event_stream), header(cache_control, no_cache)};
  for (auto& [name, value] : request_.headers) headers.push_back(header(name, value));
  for (auto& stream : streams_) {
    std::int32_t id = nghttp2_submit_request(session_, nullptr, headers.data(), headers.size(), nullptr, &stream);
    if (id < 0) stream_failed(stream, std::string("HTTP/2 request: ") + nghttp2_strerror(id));
  }
  flush();
  read();
}

void H2Subscribers::read() {
  stream_.async_read_some(net::buffer(buffer_), [self = shared_from_this()](error_code ec, std::size_t n) {
    if (self->failed_) return;
    if (ec) return self->fail_all("read: " + ec.message());
    auto used = nghttp2_session_mem_recv(self->session_, reinterpret_cast<const std::uint8_t*>(self->buffer_.data()), n);
    if (used < 0) return self->fail_all(std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(used)));
    self->flush();
    if (!self->failed_) self->read();
  });
}

// One write at a time; what nghttp2 makes meanwhile waits in pending_.
void H2Subscribers::flush() {
  if (failed_ || !writing_.empty()) return;
  for (;;) {
    const std::uint8_t* data = nullptr;
    auto n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) return fail_all(std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(n)));
    if (n == 0) break;
    pending_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
  if (pending_.empty()) return;
  writing_.swap(pending_);
  stream_.async_write(net::buffer(writing_), [self = shared_from_this()](error_code ec, std::size_t) {
    if (self->failed_) return;
    if (ec) return self->fail_all("write: " + ec.message());
    self->writing_.clear();
    self->flush();
  });
}

// Streams past the server's SETTINGS_MAX_CONCURRENT_STREAMS would wait in nghttp2 for a
// slot that a held stream never frees: they count as failed at once, saying why.
void H2Subscribers::on_settings() {
  auto allowed = nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  for (std::size_t i = allowed; i < streams_.size(); ++i)
    stream_failed(streams_[i], "the server allows " + std::to_string(allowed) +
                                   " streams per connection: give --streams-per-connection " +
                                   std::to_string(allowed) + " or less, or serve with --h2-max-streams " +
                                   std::to_string(streams_.size()));
}

void H2Subscribers::stream_failed(Stream& stream, const std::string& why) {
  if (stream.over) return;
  stream.over = true;
  lane_.on_error(stream.reader->ready(), why);
}

void H2Subscribers::fail_all(const std::string& why) {
  failed_ = true;
  for (auto& stream : streams_) stream_failed(stream, why);
  stream_.close();
}

} // namespace loadgen
