#include "support/webhook_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include <rapidjson/document.h>

namespace es::test {

WebhookServer::WebhookServer(Decide decide, std::chrono::milliseconds delay)
    : decide_(std::move(decide)), delay_(delay) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("webhook server: cannot listen on 127.0.0.1");
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

WebhookServer::~WebhookServer() {
  stopping_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::vector<WebhookServer::Call> WebhookServer::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

// One connection at a time, one request each (answered with Connection: close): the
// server under test asks few questions and this keeps the stand-in simple.
void WebhookServer::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::string request;
    char buf[4096];
    std::size_t body_at = std::string::npos, length = 0;
    while (true) {
      pollfd r{fd, POLLIN, 0};
      if (::poll(&r, 1, 2000) <= 0) break;
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      request.append(buf, static_cast<std::size_t>(n));
      if (body_at == std::string::npos && (body_at = request.find("\r\n\r\n")) != std::string::npos) {
        body_at += 4;
        auto cl = request.find("Content-Length: ");
        if (cl != std::string::npos) length = std::stoul(request.substr(cl + 16));
      }
      if (body_at != std::string::npos && request.size() >= body_at + length) break;
    }
    Call call;
    rapidjson::Document doc;
    if (body_at != std::string::npos) doc.Parse(request.substr(body_at).c_str());
    if (!doc.HasParseError() && doc.IsObject()) {
      if (doc.HasMember("user") && doc["user"].IsString()) call.user = doc["user"].GetString();
      if (doc.HasMember("channel") && doc["channel"].IsString()) call.channel = doc["channel"].GetString();
    }
    auto cookie = request.find("\r\nCookie: ");
    if (cookie != std::string::npos) call.cookie = request.substr(cookie + 10, request.find("\r\n", cookie + 2) - cookie - 10);
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(call);
    }
    std::this_thread::sleep_for(delay_);
    int status = decide_(call.user, call.channel);
    std::string response = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    [[maybe_unused]] auto written = ::write(fd, response.data(), response.size());
    ::close(fd);
  }
}

} // namespace es::test
