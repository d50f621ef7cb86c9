#pragma once
// One open SSE response. It owns the socket once the request is accepted as a stream,
// registers a mailbox with the hub, and writes: the response head with the preamble,
// then batches of events as one chunk each, keep-alives when idle, and the final chunk
// at shutdown.
//
// Each stored channel of the stream has a cursor: the last id delivered. A cursor that
// is behind (a resumed stream, or a mailbox that overflowed or skipped ids) is served
// from storage, a page at a time, until it reaches the head; meanwhile the mailbox's
// copies of those events are skipped by id. That one mechanism gives replay, live
// hand-over without gap or duplicate, and catch-up of slow clients. Channels without
// storage cannot be caught up: they get a stream-reset when their events were dropped.
//
// Everything runs on the connection's I/O thread, which also runs its hub shard, except
// storage reads: the placement and each page are read by the reader pool and applied
// here when they come back. Meanwhile the stream goes on: keep-alives, live events of
// the channels not behind, a hang-up, the write timeout, a shutdown. `writing_` is the
// only flow control: one write is in flight at a time and the next batch is whatever
// queued meanwhile; one read is in flight at a time, and the next page is read once
// the last one is written. The bytes go to a Sink: the transport frames them
// and owns the connection.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_timer.hpp>

#include "hub/subscriber.hpp"
#include "stream/sink.hpp"
#include "stream/stream_context.hpp"
#include "stream/stream_position.hpp"
#include "stream/stream_request.hpp"
#include "stream/write_batch.hpp"

namespace es::stream {

class StreamSession final : public std::enable_shared_from_this<StreamSession>, public Sink::Owner {
public:
  // `hub` is the shard of the thread that runs `sink`.
  StreamSession(std::unique_ptr<Sink> sink, const StreamContext& context, hub::Hub& hub, StreamPlan plan,
                std::string description);
  ~StreamSession();

  void start();

  void on_written(boost::system::error_code ec) override;
  void on_gone() override;

private:
  struct Page {
    std::vector<PageRead> reads;
    std::vector<PageResult> results;
  };
  void place();
  void on_placed(const std::vector<storage::ChannelRange>& ranges);
  void on_storage_error(const std::string& error);
  void read_next_page();
  std::size_t on_page(Page page);
  void write_next();
  void replace_with_error(const std::string& error_event);
  std::string error_event(std::string_view condition, std::string_view text,
                          const std::vector<std::string>& channels = {}) const;
  // Returns false when the stream is ending anyway.
  bool end_with_error(std::string_view condition, std::string_view text, const std::vector<std::string>& channels);
  bool fill_from_storage();
  void fill_from_mailbox();
  void add_event(const hub::Event& event, const Cursor* cursor);
  void add_reset(const std::vector<std::string>& channels);
  void add_id_line();
  void arm_keep_alive();
  void on_keep_alive(boost::system::error_code ec);
  void finish(std::string_view why);

  std::unique_ptr<Sink> sink_;
  const StreamContext& context_;
  hub::Hub& hub_;
  StreamPlan plan_; // its channels move to subscriber_ at start: one copy per stream
  const std::string description_;

  StreamPosition position_;
  std::shared_ptr<hub::Subscriber> subscriber_;
  hub::Subscriber::Batch batch_;
  std::vector<hub::EventPtr> replayed_; // storage pages being written
  std::unique_ptr<Page> page_;          // read for the cursors behind, not yet written

  WriteBatch next_; // the next write

  boost::asio::steady_timer keep_alive_timer_;
  // The user's token runs out; made only for a token that does (most streams have none).
  std::unique_ptr<boost::asio::system_timer> expiry_timer_;
  std::string pending_error_;              // a stream-error to end with at the next write
  std::chrono::steady_clock::time_point last_write_;
  std::chrono::steady_clock::time_point opened_;
  std::size_t events_sent_ = 0;
  std::size_t events_at_write_ = 0; // events_sent_ when the write in flight was made
  bool placed_ = false;  // the cursors are placed: the response may start
  bool reading_ = false; // storage is being read for this stream (the pool holds it)
  bool writing_ = false;
  bool started_ = false; // the first write, which carries the answer's head, is made
  bool keep_alive_due_ = false;
  bool ending_ = false;
  bool closed_ = false;
};

} // namespace es::stream
