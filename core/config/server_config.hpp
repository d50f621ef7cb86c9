#pragma once
// Everything `eventstream serve` can be told. Defaults here are the documented ones.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace es::config {

struct ServerConfig {
  std::string host = "127.0.0.1";
  unsigned short port = 8000;
  unsigned threads = 0; // 0: one per core

  std::vector<std::string> routes{"/events/"};
  std::chrono::seconds keep_alive{20};
  std::size_t channel_limit = 10;
  std::size_t subscriber_queue = 1000; // events waiting per stream before it is reset

  std::string allow_origin;
  bool allow_credentials = false;
  std::string allow_headers;

  std::string publish_key;
  std::size_t max_body = 1 << 20;
};

} // namespace es::config
