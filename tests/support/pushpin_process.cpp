#include "support/pushpin_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include "support/http_client.hpp"

namespace es::test {

int free_port() {
  // Below the kernel's ephemeral range: a port from that range may be taken by any outgoing
  // connection (thousands, in the tests running alongside) before its server binds it.
  int ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  thread_local std::mt19937 random(std::random_device{}());
  if (ephemeral_low <= 1025) throw std::runtime_error("the ephemeral port range leaves no port below it for test servers");
  std::uniform_int_distribution<int> pick(ephemeral_low > 11000 ? 10000 : 1024, ephemeral_low - 1);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = pick(random);
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    // Nobody holds the port between this check and its server's bind: never hand it out
    // twice in one process (Pushpin takes five at once).
    static std::mutex mutex;
    static std::set<int> handed_out;
    std::lock_guard lock(mutex);
    if (free && handed_out.insert(port).second) return port;
  }
  throw std::runtime_error("no free port below the ephemeral range");
}

PushpinProcess::PushpinProcess(const std::vector<int>& origin_ports) {
  // Another test process may bind a port between free_port() and Pushpin's bind: then
  // Pushpin's services exit ("unable to bind"), and a fresh set of ports is tried.
  for (int attempt = 1;; ++attempt) {
    configure(origin_ports);
    try {
      start();
      return;
    } catch (const std::runtime_error& e) {
      if (attempt == 3 || std::string(e.what()).find("bind") == std::string::npos) throw;
    }
  }
}

void PushpinProcess::configure(const std::vector<int>& origin_ports) {
  http_port_ = free_port();
  publish_port_ = free_port();
  const std::string dir = dir_.path();
  std::ofstream routes(dir + "/routes");
  routes << "*";
  for (int port : origin_ports) routes << " 127.0.0.1:" << port;
  routes << "\n";
  routes.close();
  std::ofstream(dir + "/pushpin.conf")
      << "[global]\ninclude={libdir}/internal.conf\nrundir=" << dir << "/run\nipc_prefix=estest-\n"
      << "[runner]\nservices=condure,zurl,pushpin-proxy,pushpin-handler\nhttp_port=127.0.0.1:" << http_port_
      << "\nlogdir=" << dir << "/log\n"
      << "[proxy]\nroutesfile=routes\nupdates_check=off\ndebug=true\nsig_iss=pushpin\nsig_key=" << sig_key << "\n"
      << "zurl_out_specs=ipc://{rundir}/{ipc_prefix}zurl-in\n"
      << "zurl_out_stream_specs=ipc://{rundir}/{ipc_prefix}zurl-in-stream\n"
      << "zurl_in_specs=ipc://{rundir}/{ipc_prefix}zurl-out\n"
      << "[handler]\npush_in_spec=tcp://127.0.0.1:" << free_port() << "\npush_in_sub_specs=tcp://127.0.0.1:"
      << free_port() << "\npush_in_http_addr=127.0.0.1\npush_in_http_port=" << publish_port_
      << "\ncommand_spec=tcp://127.0.0.1:" << free_port() << "\nstats_spec=ipc://{rundir}/{ipc_prefix}stats\n";
  std::filesystem::create_directories(dir + "/run");
  std::filesystem::create_directories(dir + "/log");
}

void PushpinProcess::start() {
  const std::string dir = dir_.path();
  pid_ = ::fork();
  if (pid_ == 0) {
    int out = ::open((dir + "/pushpin.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::string config = dir + "/pushpin.conf";
    ::execlp("pushpin", "pushpin", "--config", config.c_str(), "--merge-output", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Ready: the control port answers and condure, which takes the clients, has started.
  // A hold made in the next moments may still be cancelled inside Pushpin ("received
  // message out of sequence", docs/development.md), leaving a stream that gets nothing: settle.
  // Generous: on a loaded machine (the sanitizer stage) its services start slowly.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool control = false;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      control = control ||
                http_request("127.0.0.1", publish_port_, "GET", "/", {}, "", std::chrono::milliseconds(500)).status == 200;
    } catch (const std::exception&) {
    }
    auto log = log_text();
    if (control && log.find("[condure] started") != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(700));
      return;
    }
    if (log.find("unable to bind") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto log = log_text();
  stop();
  throw std::runtime_error("pushpin did not start:\n" + log);
}

PushpinProcess::~PushpinProcess() { stop(); }

void PushpinProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string PushpinProcess::log_text() const { return read_file(dir_.path() + "/pushpin.log"); }

std::unique_ptr<SseClient> PushpinProcess::open_stream(const std::string& target, const Headers& headers) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (true) {
    auto client = std::make_unique<SseClient>("127.0.0.1", http_port_, target, headers);
    if (client->read_head() && client->status() == 200) return client;
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("no stream through pushpin for " + target + " (status " +
                               std::to_string(client->status()) + "):\n" + client->raw() + "\n" + log_text());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

} // namespace es::test
