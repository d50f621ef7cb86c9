// K subscribers multiplexed on one HTTP/2 connection, one stream each (nghttp2's client
// session does the framing, HPACK and flow control): over TLS with ALPN h2 for https://,
// with prior knowledge (h2c) for http://. Each stream's DATA goes to its EventReader, as
// an HTTP/1.1 subscriber's chunks do.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client_stream.hpp"

struct nghttp2_session;

namespace loadgen {

class EventReader;
struct Lane;

struct StreamRequest {
  std::string scheme, authority, path;
  std::vector<std::pair<std::string, std::string>> headers; // besides accept and cache-control
};

class H2Subscribers : public std::enable_shared_from_this<H2Subscribers> {
public:
  // Every reader belongs to `lane`, whose thread runs this connection.
  H2Subscribers(Lane& lane, net::ssl::context* tls, StreamRequest request,
                std::vector<std::shared_ptr<EventReader>> readers);
  ~H2Subscribers();
  H2Subscribers(const H2Subscribers&) = delete;
  H2Subscribers& operator=(const H2Subscribers&) = delete;

  void start(const tcp::endpoint& server, const net::ip::address& source, const std::string& host);

  // nghttp2's callbacks (h2_subscribers.cpp) reach the streams through these.
  struct Stream {
    std::shared_ptr<EventReader> reader;
    int status = 0;
    bool over = false; // its end (or failure) is counted
  };
  void stream_failed(Stream& stream, const std::string& why);
  void on_settings();

private:
  void open_session();
  void read();
  void flush();
  // The connection is gone: every stream not over yet fails with `why`.
  void fail_all(const std::string& why);

  Lane& lane_;
  ClientStream stream_;
  StreamRequest request_;
  std::vector<Stream> streams_;
  nghttp2_session* session_ = nullptr;
  std::array<char, 16384> buffer_{};
  std::string pending_, writing_; // frames nghttp2 made, and those being written
  bool failed_ = false;
};

} // namespace loadgen
