#include "support/fake_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "support/http_client.hpp"

namespace es::test {
namespace {

// Reads one request; false when the client sent nothing complete within two seconds.
bool read_request(int fd, FakeRequest& out) {
  std::string raw;
  char buf[4096];
  std::size_t body_at = std::string::npos, length = 0;
  while (body_at == std::string::npos || raw.size() < body_at + length) {
    pollfd r{fd, POLLIN, 0};
    if (::poll(&r, 1, 2000) <= 0) return false;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    raw.append(buf, static_cast<std::size_t>(n));
    if (body_at != std::string::npos || (body_at = raw.find("\r\n\r\n")) == std::string::npos) continue;
    std::size_t line_end = raw.find("\r\n");
    std::string_view request_line(raw.data(), line_end);
    out.method = std::string(request_line.substr(0, request_line.find(' ')));
    auto target_at = request_line.find(' ') + 1;
    out.target = std::string(request_line.substr(target_at, request_line.rfind(' ') - target_at));
    for (std::size_t at = line_end + 2; at < body_at;) {
      std::size_t end = raw.find("\r\n", at);
      std::string line = raw.substr(at, end - at);
      auto colon = line.find(':');
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      out.headers.emplace_back(line.substr(0, colon), value);
      at = end + 2;
    }
    body_at += 4;
    auto content_length = out.header("Content-Length");
    length = content_length.empty() ? 0 : std::stoul(content_length);
  }
  out.body = raw.substr(body_at, length);
  return true;
}

} // namespace

std::string FakeRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return "";
}

FakeHttpServer::FakeHttpServer(Handler handle) : handle_(std::move(handle)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("fake HTTP server: cannot listen on 127.0.0.1");
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

FakeHttpServer::~FakeHttpServer() {
  stopping_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::vector<FakeRequest> FakeHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void FakeHttpServer::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    FakeRequest request;
    if (read_request(fd, request)) {
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      FakeReply reply = handle_(request);
      std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Type: " + reply.content_type +
                             "\r\nContent-Length: " + std::to_string(reply.body.size()) +
                             "\r\nConnection: close\r\n\r\n" + reply.body;
      try {
        send_all(fd, response);
      } catch (const std::exception&) { // the client gave up: its test says so
      }
    }
    ::close(fd);
  }
}

} // namespace es::test
