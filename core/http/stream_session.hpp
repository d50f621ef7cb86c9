#pragma once
// One open SSE response. It owns the socket once the request is accepted as a stream,
// registers a mailbox with the hub, and writes: the response head with the preamble,
// then batches of shared event bytes as one chunk each, keep-alives when idle, a
// stream-reset when the mailbox overflowed, and the final chunk at shutdown.
//
// Everything runs on the connection's strand. `writing_` is the only flow control: one
// write is in flight at a time and the next batch is whatever queued meanwhile, so a
// slow client makes batches larger (and finally overflows its bounded mailbox) instead
// of making the publisher wait.
#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http/shared_state.hpp"
#include "http/stream_request.hpp"
#include "hub/subscriber.hpp"

namespace es::http {

class StreamSession : public std::enable_shared_from_this<StreamSession> {
public:
  StreamSession(boost::asio::ip::tcp::socket socket, SharedState& state, StreamPlan plan, unsigned http_version,
                std::string description);

  void start();

private:
  void write_next();
  void on_write(boost::system::error_code ec);
  void arm_keep_alive();
  void on_keep_alive(boost::system::error_code ec);
  void watch_client();
  void finish(std::string_view why);

  boost::asio::ip::tcp::socket socket_;
  SharedState& state_;
  StreamPlan plan_;
  const bool chunked_;
  const std::string description_;

  std::shared_ptr<hub::Subscriber> subscriber_;
  hub::Subscriber::Batch batch_;
  std::vector<boost::asio::const_buffer> buffers_;
  std::string head_;        // response head and first chunk, written once
  std::string reset_frame_; // the stream-reset of the current batch, if any
  std::array<char, 24> chunk_size_{};
  std::array<char, 256> client_bytes_{};

  boost::asio::steady_timer keep_alive_timer_;
  std::chrono::steady_clock::time_point last_write_;
  std::chrono::steady_clock::time_point opened_;
  std::size_t events_sent_ = 0;
  bool writing_ = false;
  bool keep_alive_due_ = false;
  bool ending_ = false;
  bool closed_ = false;
};

} // namespace es::http
