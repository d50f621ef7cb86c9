#include "support/redis_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/http_client.hpp"
#include "support/pushpin_process.hpp"

namespace es::test {

RedisProcess::RedisProcess(std::string password, std::vector<std::string> extra)
    : password_(std::move(password)), extra_(std::move(extra)), port_(free_port()) {
  start();
}

RedisProcess::~RedisProcess() { stop(); }

void RedisProcess::start() {
  std::vector<std::string> args{"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                "--unixsocket", socket_path(), "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                                "--dir", dir_.path(), "--logfile", dir_.path() + "/redis.log"};
  if (!password_.empty()) args.insert(args.end(), {"--requirepass", password_});
  args.insert(args.end(), extra_.begin(), extra_.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  // Ready when PING gets PONG: right after a restart Redis answers LOADING for a while.
  std::string ping = password_.empty() ? "PING\r\n" : "AUTH " + password_ + "\r\nPING\r\n";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (raw_exchange("127.0.0.1", port_, ping + "QUIT\r\n", std::chrono::milliseconds(500)).find("+PONG") !=
          std::string::npos)
        return;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("redis-server did not start within 5 s (see " + dir_.path() + "/redis.log)");
}

void RedisProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisProcess::suspend() { ::kill(pid_, SIGSTOP); }

void RedisProcess::resume() { ::kill(pid_, SIGCONT); }

} // namespace es::test
