#pragma once
// A raw HTTP/2 client for tests (h2c with prior knowledge): it writes frames as a test
// spells them, well-formed or hostile, and reads what the server sends frame by frame.
// Requests' header blocks are HPACK literals without indexing (RFC 7541 §6.2.2), enough
// for any request; the server's header blocks are decoded with nghttp2's HPACK inflater.
// Every wait is bounded by a timeout.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/http_client.hpp"

struct nghttp2_hd_inflater;

namespace es::test::h2 {

// Frame types and flags of RFC 9113 §6.
enum : std::uint8_t { DATA = 0, HEADERS = 1, PRIORITY = 2, RST_STREAM = 3, SETTINGS = 4, PING = 6, GOAWAY = 7,
                      WINDOW_UPDATE = 8, CONTINUATION = 9 };
enum : std::uint8_t { END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4 };
enum : std::uint16_t { SETTINGS_HEADER_TABLE_SIZE = 1, SETTINGS_MAX_CONCURRENT_STREAMS = 3,
                       SETTINGS_INITIAL_WINDOW_SIZE = 4, SETTINGS_MAX_HEADER_LIST_SIZE = 6 };
enum : std::uint32_t { NO_ERROR = 0, PROTOCOL_ERROR = 1, INTERNAL_ERROR = 2, FLOW_CONTROL_ERROR = 3,
                       REFUSED_STREAM = 7, CANCEL = 8, COMPRESSION_ERROR = 9, ENHANCE_YOUR_CALM = 0xb };

using Settings = std::vector<std::pair<std::uint16_t, std::uint32_t>>;

// One frame: its 9-byte header and payload.
std::string frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream, std::string_view payload);
std::string settings_frame(const Settings& settings);
// `fields` as HPACK literals without indexing, names as given (lower-case them).
std::string literal_block(const Headers& fields);
// An HPACK integer (RFC 7541 §5.1): `value` with an N-bit prefix, the first byte's other
// bits `first`; for the blocks hostile tests spell out by hand.
std::string hpack_integer(std::uint8_t first, int prefix_bits, std::size_t value);

struct StreamState {
  int status = 0; // of the final head
  Headers headers;
  std::string body;
  bool ended = false;                 // END_STREAM from the server
  std::optional<std::uint32_t> reset; // RST_STREAM's error code
  std::size_t data_frames = 0;
};

struct Goaway {
  std::int32_t last_stream_id = 0;
  std::uint32_t error_code = 0;
  std::string debug;
};

class Client {
public:
  // Connects and sends the preface and SETTINGS with `settings`. The server's SETTINGS
  // are acknowledged when they are read.
  Client(const std::string& host, int port, const Settings& settings = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // False once the server has closed (or reset) the connection: what a hostile test
  // sends after the GOAWAY may not arrive.
  bool send(std::string_view bytes);
  // A request's HEADERS: :method, :scheme http, :authority, :path, then `extra`.
  bool request(std::int32_t stream, const std::string& method, const std::string& path, const Headers& extra = {},
               bool end_stream = true);
  bool data(std::int32_t stream, std::string_view bytes, bool end_stream);
  bool reset(std::int32_t stream, std::uint32_t code = CANCEL);
  bool window_update(std::int32_t stream, std::uint32_t increment);

  // DATA the server sends is given back as WINDOW_UPDATE at once (stream and connection),
  // except for the streams held here, which get none.
  void hold_window(std::int32_t stream) { held_.insert(stream); }

  // Reads and handles frames until `done` is true (true), the timeout passes or the
  // connection closes (false, `done` still false).
  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds{5});
  bool wait_for_end(std::int32_t stream, std::chrono::milliseconds timeout = std::chrono::seconds{5});
  // Until the server closes the connection.
  bool wait_for_close(std::chrono::milliseconds timeout = std::chrono::seconds{5});

  StreamState& stream(std::int32_t id) { return streams_[id]; }
  const std::optional<Goaway>& goaway() const { return goaway_; }
  bool closed() const { return closed_; }
  std::size_t frames_received() const { return frames_received_; }

private:
  bool read_once(Clock::time_point deadline);
  void handle(std::uint8_t type, std::uint8_t flags, std::int32_t stream, std::string_view payload);
  void decode_block(std::int32_t stream, std::string_view block);

  int fd_ = -1;
  std::string in_;
  std::string block_; // a header block waiting for its CONTINUATION
  std::int32_t block_stream_ = 0;
  bool block_ends_stream_ = false;
  nghttp2_hd_inflater* inflater_ = nullptr;
  std::map<std::int32_t, StreamState> streams_;
  std::set<std::int32_t> held_;
  std::optional<Goaway> goaway_;
  bool closed_ = false;
  std::size_t frames_received_ = 0;
  std::string authority_;
};

} // namespace es::test::h2
