#pragma once
// Debian's nginx as a reverse proxy in front of a test's server, configured the way that
// gets in the way of streams (buffering, compression, idle timeouts) so that tests can
// see them diagnosed. Its own temp dir, a free loopback port; stopped by its PID.
#include <sys/types.h>

#include <string>

#include "support/temp_dir.hpp"

namespace es::test {

class NginxProcess {
public:
  // `directives` go into the `location /` block that proxies to 127.0.0.1:`upstream_port`.
  NginxProcess(int upstream_port, const std::string& directives);
  ~NginxProcess();
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

} // namespace es::test
