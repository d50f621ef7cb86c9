#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/temp_dir.hpp"

namespace es::test {

using Env = std::vector<std::pair<std::string, std::string>>;

// Path of the binary under test (the EVENTSTREAM_BIN compile definition).
std::string eventstream_bin();

// `eventstream <command> <addrport> <extra_args...>` (command `serve` or `serve-ngrok`)
// as a child process. The
// constructor returns once the server has printed its listening address, and
// throws std::runtime_error (with the child's stderr) if it never does.
class ServerProcess {
 public:
  // `file_size_limit` (bytes) is the server's RLIMIT_FSIZE soft limit, as `ulimit -f`
  // sets it: no file it writes may grow past it. The hard limit is left alone, so
  // set_file_size_limit() can move it while the server runs.
  explicit ServerProcess(std::vector<std::string> extra_args = {}, std::string addrport = "127.0.0.1:0",
                         std::string command = "serve", std::optional<rlim_t> file_size_limit = std::nullopt);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& host() const { return host_; }  // IPv6 without brackets
  int port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:40123", "http://[::1]:40123", "https://..." over TLS
  // The --publish-addr port (given as 127.0.0.1:0), from the startup line's
  // "publish: http://127.0.0.1:PORT/publish/"; throws when there is none.
  int publish_port() const;
  pid_t pid() const { return pid_; }
  const std::string& workdir() const { return workdir_.path(); }

  // Sends `signal` and waits for the exit: the exit code, 128+N if killed by
  // signal N, or -1 if it had to be SIGKILLed after `timeout`. Repeated
  // calls return the same value without signalling again.
  int stop(int signal = SIGTERM, std::chrono::milliseconds timeout = std::chrono::seconds{5});
  bool running();
  // prlimit(2) on the running server; throws if that is refused.
  void set_file_size_limit(rlim_t bytes);
  // What an operator reads in /proc: resident memory (VmRSS, KiB) and open descriptors.
  long resident_kib() const;
  std::size_t open_files() const;

  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  void drain_stdout(int fd);
  void reap(int wait_status);
  void kill_and_join();

  TempDir workdir_; // the server's working directory, so its default eventstream.db is its own
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string stderr_path_;
  std::string scheme_;
  std::string host_;
  int port_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string stdout_;
  bool stdout_eof_ = false;
  std::atomic<bool> child_gone_{false};
  std::thread reader_;
};

struct CommandResult {
  int exit_code = 0;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs eventstream to completion with `stdin_text` as its stdin and `env`
// added to (or overriding) the inherited environment. Kills the child and
// throws std::runtime_error if it is still running after `timeout`.
CommandResult run_eventstream(const std::vector<std::string>& args, const std::string& stdin_text = "",
                              std::chrono::milliseconds timeout = std::chrono::seconds{20}, const Env& env = {});

// The same for any program (the benchmark kit's loadgen, say).
CommandResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::string& stdin_text = "", std::chrono::milliseconds timeout = std::chrono::seconds{20},
                          const Env& env = {});

}  // namespace es::test
