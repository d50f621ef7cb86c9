#include "http2/http2_sink.hpp"

#include <algorithm>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "http2/http2_session.hpp"

namespace es::http2 {

namespace net = boost::asio;

Http2Sink::Http2Sink(std::shared_ptr<Http2Session> session, std::int32_t id, http::ConnectionSlot slot)
    : session_(std::move(session)), id_(id), slot_(std::move(slot)) {}

Http2Sink::~Http2Sink() { session_->detach(id_, this); }

net::any_io_executor Http2Sink::executor() { return session_->executor(); }

void Http2Sink::write(stream::WriteBatch& batch, bool last, std::shared_ptr<Owner> owner) {
  writer_ = std::move(owner);
  if (closed_) return fail_write(net::error::connection_reset);
  last_ = last;
  body_.reset(batch.frame({}, {}, {}));
  bool data = body_.left() > 0 || last;
  if (data) {
    waiting_ = true;
    session_->waiting(true);
  }
  if (!std::exchange(submitted_, true)) {
    ResponseFields head(200);
    head.add("content-type", "text/event-stream");
    for (const auto& [name, value] : fields_) head.add(name, value);
    http::HeaderList().swap(fields_);
    if (!session_->submit_response(id_, head, true)) return fail_write(net::error::connection_reset);
  } else if (data) {
    session_->resume(id_);
  }
  // Only the head, or nothing: done once the head is written.
  if (!data) handed();
}

ssize_t Http2Sink::next_data(std::size_t max, std::uint32_t& flags) {
  if (!writer_ || (body_.left() == 0 && !last_)) return NGHTTP2_ERR_DEFERRED;
  auto n = std::min(max, body_.left());
  flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (n == body_.left() && last_) flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

void Http2Sink::take_data(std::size_t length, stream::WriteBatch& out) {
  body_.take(length, out);
  if (body_.left() > 0) return;
  ended_ = last_;
  handed();
}

void Http2Sink::handed() {
  if (std::exchange(waiting_, false)) session_->waiting(false);
  session_->after_next_write({std::move(writer_), nullptr, {}});
}

// Its bytes nghttp2 took may be in the write in flight: the write is reported after it.
void Http2Sink::fail_write(boost::system::error_code ec) {
  if (std::exchange(waiting_, false)) session_->waiting(false);
  if (writer_) session_->after_current_write({std::move(writer_), nullptr, ec});
}

void Http2Sink::watch(std::shared_ptr<Owner> owner) {
  if (!closed_) {
    watcher_ = std::move(owner);
    return;
  }
  net::post(executor(), [owner = std::move(owner)] { owner->on_gone(); });
}

void Http2Sink::close() {
  if (!std::exchange(closed_, true) && !ended_) session_->reset(id_, NGHTTP2_CANCEL);
  fail_write(net::error::operation_aborted);
  watcher_.reset();
}

// Told from within nghttp2: the stream session hears of it from a handler of its own.
void Http2Sink::on_close(std::uint32_t) {
  if (std::exchange(closed_, true)) return;
  fail_write(net::error::connection_reset);
  if (!watcher_) return;
  // A stream that ended with END_STREAM is finished by its last write's report.
  net::post(executor(), [owner = std::move(watcher_), gone = !ended_] {
    if (gone) owner->on_gone();
  });
}

} // namespace es::http2
