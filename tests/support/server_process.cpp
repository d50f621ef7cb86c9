#include "server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <tuple>

#ifndef EVENTSTREAM_BIN
#error "EVENTSTREAM_BIN must be defined as a string literal: the path of the eventstream binary"
#endif

namespace es::test {
namespace {

using Clock = std::chrono::steady_clock;

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(release());
  }

 private:
  int fd_;
};

struct Pipe {
  Fd r, w;
};

// Close-on-exec, so concurrently spawned children cannot inherit a write end
// and keep our reader from ever seeing EOF.
Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw sys_error("pipe2");
  return {Fd(fds[0]), Fd(fds[1])};
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string command_line(const std::vector<std::string>& args) {
  std::string s = "eventstream";
  for (const auto& a : args) s += " " + a;
  return s;
}

std::string with_output(const std::string& what, const std::string& out, const std::string& err) {
  return what + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
}

// argv and envp are built before fork(): in a multithreaded parent the child
// may only call async-signal-safe functions, which rules out setenv().
pid_t spawn(const std::string& program, const std::vector<std::string>& args, const Env& env, int in, int out, int err,
            const char* cwd = nullptr, std::optional<rlim_t> file_size_limit = std::nullopt) {
  std::vector<std::string> arg_strings{program};
  arg_strings.insert(arg_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    auto name = entry.substr(0, entry.find('='));
    if (std::none_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == name; }))
      env_strings.emplace_back(entry);
  }
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  auto pointers = [](std::vector<std::string>& strings) {
    std::vector<char*> p;
    for (auto& s : strings) p.push_back(s.data());
    p.push_back(nullptr);
    return p;
  };
  auto argv = pointers(arg_strings);
  auto envp = pointers(env_strings);
  const std::string exec_failed = "execve(" + arg_strings[0] + ") failed\n";
  rlimit file_size{};
  if (file_size_limit) {
    if (::getrlimit(RLIMIT_FSIZE, &file_size) != 0) throw sys_error("getrlimit");
    file_size.rlim_cur = *file_size_limit;
  }

  pid_t pid = ::fork();
  if (pid < 0) throw sys_error("fork");
  if (pid == 0) {
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    // Masks and ignored signals survive exec; the server must start with
    // defaults whatever the test process (e.g. run_eventstream) has set.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (cwd && ::chdir(cwd) != 0) ::_exit(126);
    if (file_size_limit && ::setrlimit(RLIMIT_FSIZE, &file_size) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    [[maybe_unused]] auto ignored = ::write(2, exec_failed.data(), exec_failed.size());
    ::_exit(127);
  }
  return pid;
}

struct Listening {
  std::string scheme; // "http" or "https"
  std::string host;
  int port;
};

// nullopt until the whole "listening on" line has arrived; throws if that
// line does not hold a usable address.
std::optional<Listening> parse_listening(const std::string& out) {
  static constexpr std::string_view marker = "listening on ";
  auto at = out.find(marker);
  if (at == std::string::npos) return std::nullopt;
  auto eol = out.find('\n', at);
  if (eol == std::string::npos) return std::nullopt;
  std::string_view rest(out.data() + at + marker.size(), eol - at - marker.size());
  std::string scheme = rest.starts_with("https://") ? "https" : "http";
  if (!rest.starts_with(scheme + "://"))
    throw std::runtime_error("no URL in the listening line: " + out.substr(at, eol - at));
  rest.remove_prefix(scheme.size() + 3);
  auto bad = std::runtime_error("cannot parse the listening address in: " + out.substr(at, eol - at));

  std::string host;
  if (rest.starts_with('[')) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) throw bad;
    host = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
  } else {
    auto colon = std::min(rest.find(':'), rest.size());
    host = rest.substr(0, colon);
    rest.remove_prefix(colon);
  }
  int port = 0;
  if (host.empty() || !rest.starts_with(':') ||
      std::from_chars(rest.data() + 1, rest.data() + rest.size(), port).ec != std::errc{} || port <= 0 ||
      port > 65535)
    throw bad;
  return Listening{scheme, host, port};
}

int poll_timeout_ms(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, 1'000'000));
}

}  // namespace

std::string eventstream_bin() { return EVENTSTREAM_BIN; }

ServerProcess::ServerProcess(std::vector<std::string> extra_args, std::string addrport, std::string command,
                             std::optional<rlim_t> file_size_limit) {
  std::vector<std::string> args{std::move(command), std::move(addrport)};
  args.insert(args.end(), std::make_move_iterator(extra_args.begin()), std::make_move_iterator(extra_args.end()));

  char path[] = "/tmp/eventstream-stderr-XXXXXX";
  Fd err(::mkostemp(path, O_CLOEXEC));
  if (err.get() < 0) throw sys_error("mkostemp");
  stderr_path_ = path;
  try {
    Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (devnull.get() < 0) throw sys_error("open /dev/null");
    auto out = make_pipe();
    pid_ = spawn(eventstream_bin(), args, {}, devnull.get(), out.w.get(), err.get(), workdir_.path().c_str(),
                 file_size_limit);
    out.w.reset();
    reader_ = std::thread(&ServerProcess::drain_stdout, this, out.r.release());

    constexpr auto startup_limit = std::chrono::seconds{10};
    auto deadline = Clock::now() + startup_limit;
    std::unique_lock lock(mu_);
    for (;;) {
      if (auto address = parse_listening(stdout_)) {
        scheme_ = address->scheme;
        host_ = address->host;
        port_ = address->port;
        return;
      }
      if (stdout_eof_ || !running() || Clock::now() >= deadline) break;
      cv_.wait_for(lock, std::chrono::milliseconds{50});
    }
    bool gave_up = !stdout_eof_ && running();
    lock.unlock();
    auto why = " did not print its listening address within " + std::to_string(startup_limit.count()) + " s";
    if (!gave_up) {
      // With its stdout closed it is normally exiting by itself; signal 0 just waits for that.
      int status = stop(0, std::chrono::seconds{1});
      why = status >= 0 ? " exited with status " + std::to_string(status) + " before listening"
                        : " closed its stdout without printing its listening address";
    }
    throw std::runtime_error(with_output(command_line(args) + why, stdout_text(), stderr_text()));
  } catch (...) {
    kill_and_join();
    ::unlink(stderr_path_.c_str());
    throw;
  }
}

ServerProcess::~ServerProcess() {
  kill_and_join();
  ::unlink(stderr_path_.c_str());
}

std::string ServerProcess::base_url() const {
  return scheme_ + "://" + (host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) + ":" +
         std::to_string(port_);
}

int ServerProcess::publish_port() const {
  auto out = stdout_text();
  constexpr std::string_view marker = "publish: http://127.0.0.1:";
  auto at = out.find(marker);
  if (at == std::string::npos) throw std::runtime_error("no publish address in: " + out);
  int port = 0;
  std::from_chars(out.data() + at + marker.size(), out.data() + out.size(), port);
  return port;
}

void ServerProcess::drain_stdout(int fd) {
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, 100);
    // Once the child is reaped an empty pipe means any remaining writer is a
    // grandchild that may never close it.
    if (n == 0 && child_gone_) break;
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    auto got = ::read(fd, buf, sizeof buf);
    if (got == 0 || (got < 0 && errno != EINTR)) break;
    if (got > 0) {
      std::lock_guard lock(mu_);
      stdout_.append(buf, static_cast<std::size_t>(got));
      cv_.notify_all();
    }
  }
  ::close(fd);
  std::lock_guard lock(mu_);
  stdout_eof_ = true;
  cv_.notify_all();
}

bool ServerProcess::running() {
  // After reaping, pid_ may belong to an unrelated process: never wait on or signal it again.
  if (exit_code_ || pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  reap(r == pid_ ? decode_status(status) : -1);
  return false;
}

void ServerProcess::reap(int exit_code) {
  exit_code_ = exit_code;
  child_gone_ = true;
}

void ServerProcess::kill_and_join() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reap(decode_status(status));
  }
  child_gone_ = true;
  if (reader_.joinable()) reader_.join();
}

int ServerProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (running()) {
    ::kill(pid_, signal);
    auto deadline = Clock::now() + timeout;
    while (running()) {
      if (Clock::now() >= deadline) {
        kill_and_join();
        exit_code_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
  }
  // Joining the reader makes stdout_text() complete once stop() returns.
  kill_and_join();
  return exit_code_.value_or(-1);
}

void ServerProcess::set_file_size_limit(rlim_t bytes) {
  rlimit limit{};
  if (::prlimit(pid_, RLIMIT_FSIZE, nullptr, &limit) != 0) throw sys_error("prlimit");
  limit.rlim_cur = bytes;
  if (::prlimit(pid_, RLIMIT_FSIZE, &limit, nullptr) != 0) throw sys_error("prlimit");
}

long ServerProcess::resident_kib() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  throw std::runtime_error("no VmRSS in /proc/" + std::to_string(pid_) + "/status");
}

std::size_t ServerProcess::open_files() const {
  auto fds = std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd");
  return static_cast<std::size_t>(std::distance(fds, std::filesystem::directory_iterator()));
}

std::string ServerProcess::stdout_text() const {
  std::lock_guard lock(mu_);
  return stdout_;
}

std::string ServerProcess::stderr_text() const {
  std::ifstream in(stderr_path_, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

CommandResult run_eventstream(const std::vector<std::string>& args, const std::string& stdin_text,
                              std::chrono::milliseconds timeout, const Env& env) {
  return run_program(eventstream_bin(), args, stdin_text, timeout, env);
}

CommandResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::string& stdin_text, std::chrono::milliseconds timeout, const Env& env) {
  // A child that exits without reading all of stdin must give us EPIPE rather
  // than kill the whole test binary with SIGPIPE.
  [[maybe_unused]] static const bool sigpipe_ignored = std::signal(SIGPIPE, SIG_IGN) != SIG_ERR;

  auto deadline = Clock::now() + timeout;
  auto in = make_pipe();
  auto out = make_pipe();
  auto err = make_pipe();
  pid_t pid = spawn(program, args, env, in.r.get(), out.w.get(), err.w.get());
  in.r.reset();
  out.w.reset();
  err.w.reset();

  CommandResult result;
  auto fail = [&](const std::string& why) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return std::runtime_error(with_output(command_line(args) + ": " + why, result.out, result.err));
  };
  auto timed_out = [&] { return fail("timed out after " + std::to_string(timeout.count()) + " ms"); };
  auto read_into = [](Fd& fd, std::string& text) {
    char buf[4096];
    auto n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0)
      text.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR)
      fd.reset();
  };

  std::string_view pending = stdin_text;
  // Non-blocking, so a child that stops reading stdin cannot stall our reads.
  if (pending.empty() || ::fcntl(in.w.get(), F_SETFL, O_NONBLOCK) != 0) in.w.reset();
  while (out.r.get() >= 0 || err.r.get() >= 0) {
    pollfd fds[3] = {{out.r.get(), POLLIN, 0}, {err.r.get(), POLLIN, 0}, {in.w.get(), POLLOUT, 0}};
    int n = ::poll(fds, 3, poll_timeout_ms(deadline));
    if (n == 0) throw timed_out();
    if (n < 0) {
      if (errno == EINTR) continue;
      throw fail(std::string("poll: ") + std::strerror(errno));
    }
    if (fds[0].revents != 0) read_into(out.r, result.out);
    if (fds[1].revents != 0) read_into(err.r, result.err);
    if (fds[2].revents != 0) {
      auto w = ::write(in.w.get(), pending.data(), pending.size());
      if (w >= 0)
        pending.remove_prefix(static_cast<std::size_t>(w));
      else if (errno != EAGAIN && errno != EINTR)
        pending = {};  // EPIPE: the child has stopped reading stdin
      if (pending.empty()) in.w.reset();
    }
  }

  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) throw sys_error("waitpid");
    if (Clock::now() >= deadline) throw timed_out();
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  result.exit_code = decode_status(status);
  return result;
}

}  // namespace es::test
