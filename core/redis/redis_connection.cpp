#include "redis/redis_connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "util/log.hpp"

namespace es::redis {
namespace {

std::string_view view(const std::string& s) { return s; }

} // namespace

RedisConnection::RedisConnection(Endpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {}

RedisConnection::~RedisConnection() { disconnect(); }

void RedisConnection::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  reader_ = ReplyReader{};
}

void RedisConnection::connect() {
  std::string where = endpoint_.describe();
  if (!endpoint_.socket_path.empty()) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (endpoint_.socket_path.size() >= sizeof addr.sun_path)
      throw RedisError("the Redis socket path " + endpoint_.socket_path + " is too long");
    std::memcpy(addr.sun_path, endpoint_.socket_path.c_str(), endpoint_.socket_path.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      int error = errno;
      disconnect();
      throw RedisUnreachable("cannot connect to Redis at " + where + ": " + std::strerror(error));
    }
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(endpoint_.host.c_str(), std::to_string(endpoint_.port).c_str(), &hints, &found); rc != 0)
      throw RedisUnreachable("cannot resolve the Redis host " + endpoint_.host + ": " + ::gai_strerror(rc));
    std::string why = "no address";
    for (addrinfo* a = found; a && fd_ < 0; a = a->ai_next) {
      fd_ = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (::connect(fd_, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
        why = std::strerror(errno);
        disconnect();
        continue;
      }
      pollfd p{fd_, POLLOUT, 0};
      int error = 0;
      socklen_t length = sizeof error;
      if (::poll(&p, 1, static_cast<int>(timeout_.count())) != 1 ||
          ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
        why = error ? std::strerror(error) : "timed out";
        disconnect();
        continue;
      }
      ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
      int one = 1;
      ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ::freeaddrinfo(found);
    if (fd_ < 0) throw RedisUnreachable("cannot connect to Redis at " + where + ": " + why);
  }
  std::vector<Command> hello;
  if (!endpoint_.password.empty()) {
    if (endpoint_.user.empty()) hello.push_back({"AUTH", endpoint_.password});
    else hello.push_back({"AUTH", endpoint_.user, endpoint_.password});
  }
  if (endpoint_.db) hello.push_back({"SELECT", std::to_string(endpoint_.db)});
  if (hello.empty()) return;
  std::string bytes;
  for (const auto& command : hello) append_command(bytes, {command.begin(), command.end()});
  send(bytes);
  for (std::size_t i = 0; i < hello.size(); ++i) {
    Reply reply = *receive(timeout_, false);
    if (reply.kind == Reply::Kind::error) {
      disconnect();
      throw RedisError("Redis at " + where + " refused " + hello[i][0] + ": " + reply.text);
    }
  }
}

void RedisConnection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = errno;
      disconnect();
      throw RedisError("the connection to Redis at " + endpoint_.describe() + " broke: " + std::strerror(error));
    }
    sent += static_cast<std::size_t>(n);
  }
}

std::optional<Reply> RedisConnection::receive(std::chrono::milliseconds wait, bool wait_is_fine, int wake_fd) {
  while (true) {
    try {
      if (auto reply = reader_.next()) return reply;
    } catch (const std::runtime_error& e) {
      // Not Redis at the other end (an HTTP port, say): a failure like any other of
      // this connection, which its users survive, not an exception they do not expect.
      disconnect();
      throw RedisError(endpoint_.describe() + " does not speak Redis: " + e.what() + "; check --redis");
    }
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    int ready = ::poll(p, wake_fd < 0 ? 1 : 2, static_cast<int>(wait.count()));
    if (ready > 0 && !p[0].revents) return std::nullopt; // woken
    if (ready == 0 && wait_is_fine) return std::nullopt;
    char buffer[16384];
    ssize_t n = ready > 0 ? ::recv(fd_, buffer, sizeof buffer, 0) : -1;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = ready == 0 ? "no answer within " + std::to_string(wait.count()) + " ms"
                        : n == 0   ? std::string("it closed the connection")
                                   : std::strerror(errno);
      disconnect();
      throw RedisError("the connection to Redis at " + endpoint_.describe() + " broke: " + why);
    }
    reader_.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
  }
}

// A connection idle since before a Redis restart is closed at the other end: its socket
// reads as EOF (or an error) at once. Seen before sending, it is replaced, so commands
// never go to a dead socket (where it would be unknown whether they ran).
bool RedisConnection::peer_closed() const {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 0) != 1) return false;
  char byte;
  return ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

std::vector<Reply> RedisConnection::pipeline(const std::vector<Command>& commands) {
  if (fd_ >= 0 && peer_closed()) disconnect();
  if (fd_ < 0) connect();
  std::string bytes;
  for (const auto& command : commands) {
    std::vector<std::string_view> args;
    for (const auto& arg : command) args.push_back(view(arg));
    append_command(bytes, args);
  }
  send(bytes);
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) replies.push_back(*receive(timeout_, false));
  return replies;
}

std::optional<Reply> RedisConnection::next_push(std::chrono::milliseconds wait, int wake_fd) {
  if (fd_ < 0) throw RedisError("not subscribed: the connection to Redis at " + endpoint_.describe() + " is closed");
  return receive(wait, true, wake_fd);
}

void RedisConnection::post(const std::vector<Command>& commands) {
  if (fd_ < 0) throw RedisError("not subscribed: the connection to Redis at " + endpoint_.describe() + " is closed");
  std::string bytes;
  for (const auto& command : commands) append_command(bytes, std::vector<std::string_view>(command.begin(), command.end()));
  send(bytes);
}

Reply RedisConnection::run(const Command& command) { return std::move(pipeline({command}).front()); }

void wait_for_redis(const Endpoint& endpoint, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  auto next_log = std::chrono::steady_clock::now();
  while (true) {
    std::string why;
    try {
      Reply pong = RedisConnection(endpoint, std::chrono::seconds(2)).run({"PING"});
      if (pong.kind != Reply::Kind::error) return;
      why = pong.text; // LOADING, say
    } catch (const RedisError& e) {
      why = e.what();
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      throw RedisError("Redis at " + endpoint.describe() + " did not answer within " + std::to_string(limit.count()) +
                       " s (" + why + "); start it, or give it longer with --redis-wait");
    if (now >= next_log) {
      log(LogLevel::warn, "waiting for Redis at " + endpoint.describe() + ": " + why);
      next_log = now + std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

} // namespace es::redis
