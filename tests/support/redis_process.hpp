#pragma once
// Debian's redis-server for a test: its own temp dir, a free loopback port and a unix
// socket, every write in its append-only file (a restart keeps the data, as a production
// Redis holding events must). Stopped by its PID.
#include <sys/types.h>

#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace es::test {

class RedisProcess {
public:
  // `extra`: more redis-server arguments (a cluster node's, say).
  explicit RedisProcess(std::string password = "", std::vector<std::string> extra = {});
  ~RedisProcess();
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  std::string socket_path() const { return dir_.path() + "/redis.sock"; }

  void stop();  // SIGTERM, and wait
  void start(); // again, on the same port
  // SIGSTOP: Redis holds its connections open and answers nothing, as a hung Redis
  // does; resume() (SIGCONT) before the end of the test.
  void suspend();
  void resume();
  void kill(); // SIGKILL, as a crash: what it had not written is lost
  bool running() const { return pid_ > 0; }

private:
  TempDir dir_;
  std::string password_;
  std::vector<std::string> extra_;
  int port_ = 0;
  pid_t pid_ = -1;
};

} // namespace es::test
