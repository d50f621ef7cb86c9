#include "stream/stream_session.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include <boost/asio/post.hpp>

#include "metrics/metrics.hpp"
#include "sse/encoder.hpp"
#include "sse/event_id.hpp"
#include "stream/reconnect_delay.hpp"
#include "util/log.hpp"
#include "util/url.hpp"

namespace es::stream {

namespace net = boost::asio;
using boost::system::error_code;

namespace {
// What opens a Mercure stream and keeps it alive: a comment, which its clients ignore.
constexpr std::string_view mercure_opening = ":\n\n";
} // namespace

StreamSession::StreamSession(std::unique_ptr<Sink> sink, const StreamContext& context, hub::Hub& hub, StreamPlan plan,
                             std::string description)
    : sink_(std::move(sink)), context_(context), hub_(hub), plan_(std::move(plan)), description_(std::move(description)),
      position_(plan_.channels, context.reliable, context.storage != nullptr), keep_alive_timer_(sink_->executor()) {
  metrics::metrics().streams_open.fetch_add(1, std::memory_order_relaxed);
}

StreamSession::~StreamSession() { metrics::metrics().streams_open.fetch_sub(1, std::memory_order_relaxed); }

void StreamSession::start() {
  opened_ = std::chrono::steady_clock::now();
  sink_->open(plan_.headers.empty() ? context_.stream_headers : plan_.headers);

  // Subscribe before reading any head from storage: an event committed after that read
  // is then surely in the mailbox, and one committed before it is skipped by id.
  std::weak_ptr<StreamSession> weak = weak_from_this();
  subscriber_ = std::make_shared<hub::Subscriber>(
      std::move(plan_.channels), plan_.user.id, context_.config.subscriber_queue, context_.config.subscriber_queue_bytes,
      [weak] {
        if (auto self = weak.lock(); self && !self->writing_) self->write_next();
      },
      [weak](const std::string& channel, bool application_allows) {
        auto self = weak.lock();
        if (!self || (application_allows && self->context_.access.may_read(self->plan_.user, channel))) return false;
        return self->end_with_error("forbidden", "Permission denied to channels: " + channel, {channel});
      },
      plan_.mercure);
  hub_.subscribe(subscriber_);

  if (log_enabled(LogLevel::info)) log(LogLevel::info, "stream open " + description_);
  if (auto deadline = context_.access.stream_deadline(plan_.user)) {
    expiry_timer_ = std::make_unique<net::system_timer>(sink_->executor());
    expiry_timer_->expires_after(*deadline - std::chrono::system_clock::now());
    expiry_timer_->async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->end_with_error("forbidden", "The token has expired.", self->subscriber_->channels());
    });
  }
  // Instances sharing Redis: this instance's subscription to the channels comes first, so
  // that every event committed after the position is read reaches the stream live. The
  // wait holds the stream, as a storage read does (see place()).
  // The last reference goes with the posted handler, on the stream's own thread.
  auto placing = [self = shared_from_this()]() mutable {
    auto executor = self->sink_->executor();
    net::post(executor, [self = std::move(self)] {
      if (!self->closed_) self->place();
    });
  };
  if (hub_.delivered(subscriber_->channels(), placing)) place();
  sink_->watch(shared_from_this());
}

// The job holds the stream until its result is applied, so the stream's connection
// counts against --max-connections meanwhile: a client that hangs up and comes back
// cannot queue reads without bound. The hold moves into what the I/O thread applies,
// so that the stream ends there, never on a reader thread.
void StreamSession::place() {
  if (position_.stored_count() == 0) return on_placed({});
  reading_ = true;
  context_.readers->place(sink_->executor(), [self = shared_from_this(), storage = context_.storage,
                                              channels = position_.stored_channels()]() mutable
                                                 -> storage::ReaderPool::Apply {
    try {
      auto ranges = read_ranges(*storage, channels);
      return [self = std::move(self), ranges = std::move(ranges)] {
        self->on_placed(ranges);
        return std::size_t{0};
      };
    } catch (const std::exception& e) {
      return [self = std::move(self), error = std::string(e.what())] {
        self->on_storage_error(error);
        return std::size_t{0};
      };
    }
  });
}

// Nothing is written before the cursors are placed: the response starts here.
void StreamSession::on_placed(const std::vector<storage::ChannelRange>& ranges) {
  reading_ = false;
  if (closed_) return;
  placed_ = true;
  auto reset = position_.place(plan_.resume, ranges);
  next_.add(plan_.mercure ? mercure_opening : sse::stream_preamble());
  // A field of its own (no data, so no event): when this server restarts, its clients
  // come back spread over a few seconds instead of all at once.
  if (context_.config.retry.count() > 0)
    next_.copy("retry: " + std::to_string(reconnect_delay(context_.config.retry).count()) + "\n\n");
  if (!reset.empty()) add_reset(reset);
  write_next();
  arm_keep_alive();
}

// The stream ends with an internal-error after what is being written (in place of the
// response, when the cursors could not even be placed).
void StreamSession::on_storage_error(const std::string& error) {
  reading_ = false;
  if (closed_) return;
  log(LogLevel::error, "stream " + description_ + " cannot read storage: " + error);
  bool unplaced = !std::exchange(placed_, true);
  if (pending_error_.empty()) pending_error_ = error_event("internal-error", "Storage is unavailable; try again later.");
  if (!writing_) write_next();
  if (unplaced) arm_keep_alive();
}

// Reads the next page for the cursors behind, unless one is read or waiting already.
// Its events are written when it comes back, in the reader pool's turns. The job holds
// the stream as place() does.
void StreamSession::read_next_page() {
  if (reading_ || page_ || ending_ || closed_) return;
  auto reads = position_.next_page();
  if (reads.empty()) return;
  reading_ = true;
  context_.readers->read(sink_->executor(), [self = shared_from_this(), storage = context_.storage,
                                             reads = std::move(reads)]() mutable -> storage::ReaderPool::Apply {
    try {
      auto results = read_page(*storage, reads);
      return [self = std::move(self), page = Page{std::move(reads), std::move(results)}]() mutable {
        return self->on_page(std::move(page));
      };
    } catch (const std::exception& e) {
      return [self = std::move(self), error = std::string(e.what())] {
        self->on_storage_error(error);
        return std::size_t{0};
      };
    }
  });
}

// Returns the number of events read, the cost of the turn that applies it.
std::size_t StreamSession::on_page(Page page) {
  reading_ = false;
  if (closed_ || ending_) return 0;
  std::size_t events = 0;
  for (const auto& result : page.results) events += result.events.size();
  page_ = std::make_unique<Page>(std::move(page));
  if (!writing_) write_next();
  return events;
}

// Ends the stream with a stream-error after what is being written; pending events are
// dropped (the client may not read them).
bool StreamSession::end_with_error(std::string_view condition, std::string_view text,
                                   const std::vector<std::string>& channels) {
  if (closed_ || ending_ || !pending_error_.empty()) return false;
  pending_error_ = error_event(condition, text, channels);
  if (!writing_) write_next();
  return true;
}

// A stream-error in place of whatever was being prepared, and the end of the stream.
void StreamSession::replace_with_error(const std::string& error_event) {
  next_.clear();
  next_.copy(error_event);
  ending_ = true;
}

std::string StreamSession::error_event(std::string_view condition, std::string_view text,
                                       const std::vector<std::string>& channels) const {
  return plan_.mercure ? sse::comment(text) : sse::stream_error(condition, text, channels);
}

// The stream's whole position after the last cursor update; nothing for a stream
// without stored channels.
void StreamSession::add_id_line() {
  if (position_.stored_count() == 0) return;
  next_.append([this](std::string& out) { position_.append_id_line(out); });
}

void StreamSession::add_event(const hub::Event& event, const Cursor* cursor) {
  next_.add(event.head);
  // A stream whose only stored channel is the event's own shares the encoded id line; a
  // Mercure update's is its own id.
  if (event.update || (cursor && cursor->stored && position_.stored_count() == 1)) next_.add(event.id_line);
  else add_id_line();
  next_.add(event.body);
  ++events_sent_;
  metrics::bump(hub_.counters.delivered);
}

// The reset channels' cursors must already be at their heads.
void StreamSession::add_reset(const std::vector<std::string>& channels) {
  metrics::bump(hub_.counters.resets);
  // Mercure has no word for it: its subscribers see the gap in the ids, if they look.
  if (plan_.mercure) return;
  next_.add(sse::stream_reset_head());
  add_id_line();
  next_.copy(sse::stream_reset_body(channels));
}

// The page read for the cursors that were behind, if one came back. Returns false when
// there was none.
bool StreamSession::fill_from_storage() {
  if (!page_) return false;
  auto page = std::move(page_);
  std::vector<std::string> reset;
  position_.apply_page(
      page->reads, page->results,
      [this](const Cursor& cursor, storage::StoredEvent& e) {
        if (plan_.user.listed_in(e.skip_users)) return;
        auto event = hub::make_event(cursor.channel, e.id, e.type, e.data, {});
        if (event->update && (!plan_.mercure || !plan_.mercure->wants(*event->update))) return;
        add_event(*event, &cursor);
        metrics::bump(hub_.counters.replayed);
        replayed_.push_back(std::move(event));
      },
      reset);
  if (!reset.empty()) add_reset(reset);
  return true;
}

void StreamSession::fill_from_mailbox() {
  for (const auto& event : batch_.events) {
    auto cursor = &position_.cursor(event->channel);
    if (cursor->stored) {
      if (cursor->behind) { // storage serves it
        cursor->offered = std::max(cursor->offered, event->id);
        continue;
      }
      if (event->id <= cursor->delivered) continue; // sent already
      // Mercure streams are offered only the updates they select: their gaps are normal.
      if (!plan_.mercure && event->id != cursor->delivered + 1) {
        cursor->behind = true; // a gap: the mailbox dropped some
        continue;
      }
      cursor->delivered = event->id;
    }
    // A skipped event still moves the cursor, so it leaves no gap to fill from storage.
    if (plan_.user.listed_in(event->skip_users)) continue;
    add_event(*event, cursor);
  }
  std::vector<std::string> lost;
  for (const auto& channel : batch_.overflowed) {
    auto& cursor = position_.cursor(channel);
    if (cursor.stored) cursor.behind = true;
    else lost.push_back(channel);
  }
  if (!lost.empty()) add_reset(lost);
}

void StreamSession::write_next() {
  if (closed_ || !placed_) return;
  if (!pending_error_.empty()) replace_with_error(std::exchange(pending_error_, {}));
  // The page read meanwhile for the cursors behind, then the mailbox, whose events for
  // those cursors are skipped: channels without storage keep flowing during a long
  // replay, and a shutdown is seen at once.
  bool paged = false;
  while (next_.empty() && !ending_) {
    replayed_.clear();
    bool page = fill_from_storage();
    paged |= page;
    bool any = subscriber_->take(batch_);
    fill_from_mailbox();
    ending_ = batch_.closing;
    if (!any && !page) break;
  }
  // The next page is read once this one is written, so that pages come back through the
  // pool's turns, between live deliveries, rather than at each write's completion; at
  // once when this one left nothing to write (its events all skipped this user).
  if (!paged || next_.empty()) read_next_page();
  if (next_.empty() && keep_alive_due_ && !ending_) next_.add(plan_.mercure ? mercure_opening : sse::keep_alive());
  keep_alive_due_ = false;
  if (next_.empty() && !ending_ && started_) {
    writing_ = false;
    return;
  }
  started_ = true;
  writing_ = true;
  last_write_ = std::chrono::steady_clock::now();
  events_at_write_ = events_sent_;
  sink_->write(next_, ending_, shared_from_this());
}

void StreamSession::on_written(error_code ec) {
  // A write without events (the opening one, a keep-alive) is what an idle stream
  // makes: it keeps no buffers for the next, and most streams are idle most of the
  // time. A stream carrying events keeps them, so steady writing allocates nothing.
  if (events_sent_ == events_at_write_) next_.release();
  else next_.clear();
  if (ec) return finish("client gone (" + ec.message() + ")");
  if (ending_) return finish("stream ended");
  write_next();
}

// While a write is in flight the timer watches for it getting stuck; otherwise it waits
// for the keep-alive interval after the last write.
void StreamSession::arm_keep_alive() {
  auto now = std::chrono::steady_clock::now();
  const auto& config = context_.config;
  keep_alive_timer_.expires_at(writing_ ? std::min(last_write_ + config.write_timeout, now + config.keep_alive)
                                        : std::max(last_write_ + config.keep_alive, now));
  keep_alive_timer_.async_wait([self = shared_from_this()](error_code ec) { self->on_keep_alive(ec); });
}

void StreamSession::on_keep_alive(error_code ec) {
  if (ec || closed_) return;
  auto now = std::chrono::steady_clock::now();
  if (writing_) {
    // A client that stopped reading holds a write open; past the limit it is dropped
    // (it resumes from its Last-Event-ID when it comes back).
    if (now - last_write_ >= context_.config.write_timeout)
      return finish("the client stopped reading (write timed out)");
    return arm_keep_alive();
  }
  // The interval restarts with every write, so an active stream never gets keep-alives.
  if (now - last_write_ >= context_.config.keep_alive) {
    keep_alive_due_ = true;
    write_next();
  }
  arm_keep_alive();
}

void StreamSession::on_gone() { finish("client closed the connection"); }

void StreamSession::finish(std::string_view why) {
  if (closed_) return;
  closed_ = true;
  hub_.unsubscribe(subscriber_);
  keep_alive_timer_.cancel();
  if (expiry_timer_) expiry_timer_->cancel();
  sink_->close();
  if (log_enabled(LogLevel::info)) {
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.1fs", seconds);
    log(LogLevel::info, "stream closed " + description_ + ": " + std::string(why) + ", " +
                            std::to_string(events_sent_) + " events in " + took);
  }
}

} // namespace es::stream
