#pragma once
// An event stream over one HTTP/2 stream: the answer's head with the first write, each
// batch as DATA frames taken by nghttp2 as the stream's window allows (by reference: the
// batch stays the StreamSession's until its write is reported), END_STREAM with the
// last. A write is reported once its last byte is in a completed write of the connection;
// a stream whose window stays shut keeps its write in flight, which is how its
// StreamSession sees a slow client. Each event stream holds a ConnectionSlot of its own.
#include <cstdint>
#include <memory>

#include "http/connection_slot.hpp"
#include "http/header_list.hpp"
#include "http2/body_cursor.hpp"
#include "http2/http2_stream.hpp"
#include "stream/sink.hpp"

namespace es::http2 {

class Http2Session;

class Http2Sink final : public stream::Sink, public Http2Stream {
public:
  Http2Sink(std::shared_ptr<Http2Session> session, std::int32_t id, http::ConnectionSlot slot);
  ~Http2Sink() override;

  boost::asio::any_io_executor executor() override;
  void open(const http::HeaderList& fields) override { fields_ = fields; }
  void write(stream::WriteBatch& batch, bool last, std::shared_ptr<Owner> owner) override;
  void watch(std::shared_ptr<Owner> owner) override;
  void close() override; // RST_STREAM (CANCEL) unless it ended

  ssize_t next_data(std::size_t max, std::uint32_t& flags) override;
  void take_data(std::size_t length, stream::WriteBatch& out) override;
  void on_close(std::uint32_t error_code) override;

private:
  void handed(); // nghttp2 has every byte of the write
  void fail_write(boost::system::error_code ec);

  std::shared_ptr<Http2Session> session_;
  const std::int32_t id_;
  http::ConnectionSlot slot_;
  http::HeaderList fields_; // until the head is submitted
  BodyCursor body_;
  std::shared_ptr<Owner> writer_;  // of the write in flight, until nghttp2 has it all
  std::shared_ptr<Owner> watcher_; // told when the client resets the stream
  bool last_ = false;
  bool submitted_ = false;
  bool waiting_ = false; // counted in the session's waiting streams
  bool ended_ = false;   // END_STREAM handed
  bool closed_ = false;
};

} // namespace es::http2
