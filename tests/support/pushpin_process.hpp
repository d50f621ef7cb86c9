#pragma once
// Debian's Pushpin, started self-contained for a test (docs/development.md): its own temp dir,
// free loopback ports, zurl among its services, every request routed to the origin(s).
// Stopped by SIGTERM to the runner's PID (it stops its children).
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "support/sse_client.hpp"
#include "support/temp_dir.hpp"

namespace es::test {

class PushpinProcess {
public:
  explicit PushpinProcess(int origin_port) : PushpinProcess(std::vector<int>{origin_port}) {}
  // Several origins: Pushpin spreads requests (and its link fetches) over them.
  explicit PushpinProcess(const std::vector<int>& origin_ports);
  ~PushpinProcess();
  PushpinProcess(const PushpinProcess&) = delete;
  PushpinProcess& operator=(const PushpinProcess&) = delete;

  int http_port() const { return http_port_; }
  std::string control_url() const { return "http://127.0.0.1:" + std::to_string(publish_port_); }
  // The key Pushpin signs Grip-Sig with (its [proxy] sig_key), for the origin's --grip-sig-key.
  static constexpr const char* sig_key = "testsigkey";
  std::string log_text() const; // of the current run

  void stop();  // SIGTERM to the runner (which stops its services), and wait
  void start(); // again, on the same ports and configuration

  // A stream through Pushpin whose head has arrived with status 200. Pushpin answers 500
  // to holds made in its first moments (docs/development.md): those are retried for 5 s.
  std::unique_ptr<SseClient> open_stream(const std::string& target, const Headers& headers = {}) const;

private:
  void configure(const std::vector<int>& origin_ports); // fresh ports, config and routes files

  TempDir dir_;
  int http_port_ = 0;
  int publish_port_ = 0;
  pid_t pid_ = -1;
};

// A loopback port nobody uses right now, below the ephemeral range so that no outgoing
// connection takes it before the server meant for it binds it.
int free_port();

} // namespace es::test
