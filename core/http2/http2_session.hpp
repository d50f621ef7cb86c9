#pragma once
// An HTTP/2 connection (RFC 9113), over TLS (ALPN "h2") or in the clear with prior
// knowledge (h2c). nghttp2 does the framing, HPACK, flow control and stream states; this
// class moves the connection's bytes and gives each stream to an Http2Exchange, which
// answers it or makes it an event stream with an Http2Sink.
//
// Reading: a bounded buffer at a time is fed to nghttp2_session_mem_recv, whose callbacks
// build the requests. The hostile-peer bounds (SECURITY.md, "HTTP/2") are checked there,
// frame by frame: the reset and control-frame budgets, the header block's size.
//
// Writing: one write in flight, gathering what nghttp2_session_mem_send gives (control
// frames, heads, DATA frame headers: copied, they are small) and the DATA payloads by
// reference (NGHTTP2_DATA_FLAG_NO_COPY with send_data_callback): event bytes go from the
// hub's shared buffers to the socket without a copy per stream, as over HTTP/1.1. A stream
// is told its bytes are written when the write that carries the last of them completes;
// until then it keeps them. The connection holds no more than each stream's current batch.
//
// Flow control is the backpressure: nghttp2 asks a stream for DATA only while its window
// and the connection's are open. A stream whose window is spent keeps its write in
// flight, so its StreamSession treats it as a slow client (bounded mailbox, catch-up from
// storage, --write-timeout) while the other streams go on.
//
// Lifetime: the session owns each exchange until its stream closes or becomes an event
// stream; a sink is owned by its StreamSession and holds the session. The session knows
// both by raw pointer (streams_) and tells them when their stream or the connection ends.
// Everything runs on the connection's executor.
//
// Time: one timer per connection. Without a stream for --header-timeout, or with bytes
// to send and none sent for --write-timeout, the connection says GOAWAY. After a GOAWAY
// it closes once that is written, or two seconds later. Each exchange has its own
// --header-timeout and request timeout, as on HTTP/1.1.
//
// Shutdown: the hub ends every event stream (StreamSession writes its end, END_STREAM
// here); once SharedState::shutting_down is set, a connection whose last stream ended
// says GOAWAY (NO_ERROR) and closes. Connections without streams are closed at exit.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <nghttp2/nghttp2.h>

#include "http/connection_slot.hpp"
#include "http/serves.hpp"
#include "http/shared_state.hpp"
#include "http/transport.hpp"
#include "http2/bounds.hpp"
#include "http2/header_block.hpp"
#include "http2/http2_stream.hpp"
#include "http2/rate_budget.hpp"
#include "http2/response_fields.hpp"
#include "stream/write_batch.hpp"

namespace es::http2 {

class Http2Session : public std::enable_shared_from_this<Http2Session> {
public:
  // `already_read`: what the HTTP/1.1 session read before it saw the client preface,
  // preface included.
  Http2Session(http::Transport transport, boost::asio::ip::tcp::endpoint peer, http::ConnectionSlot slot,
               http::SharedState& state, std::size_t shard, http::Serves serves, std::string already_read = {});
  ~Http2Session();
  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  void run();

  // For the connection's streams (Http2Exchange, Http2Sink).
  boost::asio::any_io_executor executor() { return transport_.get_executor(); }
  http::SharedState& state() const { return state_; }
  std::size_t shard() const { return shard_; }
  http::Serves serves() const { return serves_; }
  const boost::asio::ip::tcp::endpoint& peer() const { return peer_; }

  // Submits stream `id`'s answer head; with a body, nghttp2 asks the stream for it
  // (Http2Stream::next_data). False when the stream or the connection is gone.
  bool submit_response(std::int32_t id, ResponseFields& fields, bool with_body);
  // The stream has body bytes again (its data provider returned NGHTTP2_ERR_DEFERRED).
  void resume(std::int32_t id);
  // RST_STREAM, if the stream is still open.
  void reset(std::int32_t id, std::uint32_t error_code);
  // A sink takes stream `id` over from its exchange, which the session lets go.
  void attach(std::int32_t id, Http2Stream* sink);
  // `stream` goes away: it is forgotten, and its stream reset if still open.
  void detach(std::int32_t id, const Http2Stream* stream);
  // `done` runs once the next write is over: it carries what was just handed or submitted.
  void after_next_write(Written done);
  // `done` runs once the write in flight (which may carry some of its bytes) is over, or
  // soon when none is.
  void after_current_write(Written done);
  // A stream has body bytes that nghttp2 has not taken (`more`), or no longer.
  void waiting(bool more);
  // The bytes of the request bodies being received on this connection: together at
  // most --max-body (an HTTP/1.1 connection receives one at a time).
  std::size_t body_bytes = 0;

private:
  struct Callbacks;
  struct Entry {
    Http2Stream* stream;                     // the exchange, then the sink
    std::shared_ptr<Http2Exchange> exchange; // owned until its stream closes or becomes an event stream
  };
  using Clock = std::chrono::steady_clock;

  void read();
  void on_read(boost::system::error_code ec, std::size_t n);
  void receive(const std::uint8_t* data, std::size_t size);
  void on_fatal(int error);
  void want_write();
  void flush();
  void on_written(boost::system::error_code ec);
  void complete(std::vector<Written> done, boost::system::error_code ec);
  // The client passed a bound: counted, logged, GOAWAY with `why` as debug data.
  void close_for(Bound bound, const std::string& why, std::uint32_t error_code = NGHTTP2_ENHANCE_YOUR_CALM);
  void goaway(std::uint32_t error_code, const std::string& why);
  void finish_if_done();
  void die(); // the connection is over: every stream is told
  void forget(std::unordered_map<std::int32_t, Entry>::iterator at);
  bool busy() const { return writing_ || streams_waiting_ > 0; }
  void became_busy(bool was_busy);
  void arm(Clock::time_point at);
  void on_timer();
  Http2Stream* stream(std::int32_t id);
  Http2Exchange* exchange(std::int32_t id);

  http::Transport transport_;
  const boost::asio::ip::tcp::endpoint peer_;
  std::optional<http::ConnectionSlot> slot_;
  http::SharedState& state_;
  const std::size_t shard_;
  const http::Serves serves_;
  std::string already_read_;
  std::unique_ptr<nghttp2_session, void (*)(nghttp2_session*)> session_;

  std::unordered_map<std::int32_t, Entry> streams_;
  HeaderBlock block_;     // the header block being received
  RateBudget resets_;     // RST_STREAM from the client
  RateBudget control_;    // SETTINGS, PING, PRIORITY, empty DATA from the client
  std::array<std::uint8_t, 16 * 1024> read_buffer_{};

  stream::WriteBatch output_;      // the write in flight, or being gathered
  std::vector<Written> in_flight_; // told when the write in flight is over
  std::vector<Written> gathering_; // told when the next one is
  std::size_t streams_waiting_ = 0;
  bool writing_ = false;
  bool gathering_now_ = false; // in flush(), asking nghttp2 for the next write
  bool flush_posted_ = false;

  boost::asio::steady_timer timer_;
  std::optional<Clock::time_point> timer_at_;
  Clock::time_point idle_since_;    // the last stream ended (or the connection began)
  Clock::time_point last_progress_; // bytes last moved while some waited
  Clock::time_point closing_at_;    // a GOAWAY was submitted
  bool closing_ = false;            // GOAWAY submitted: nothing more is read, and the connection closes
  bool goaway_in_output_ = false;   // the write in flight carries it
  bool reported_ = false;           // the bound that closes it is counted already
  bool dead_ = false;
};

} // namespace es::http2
