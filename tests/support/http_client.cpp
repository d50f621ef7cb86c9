#include "http_client.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace es::test {
namespace {

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

class SocketGuard {
 public:
  explicit SocketGuard(int fd) : fd_(fd) {}
  ~SocketGuard() { ::close(fd_); }
  SocketGuard(const SocketGuard&) = delete;
  SocketGuard& operator=(const SocketGuard&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Remaining time rounded up, so poll() never wakes just before the deadline.
int poll_timeout_ms(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, 1'000'000));
}

// True when `fd` became ready for `events` before the deadline.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, poll_timeout_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) throw sys_error("poll");
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string strip_brackets(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](unsigned char x, unsigned char y) {
    return std::tolower(x) == std::tolower(y);
  });
}

std::optional<std::string> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return std::nullopt;
}

std::string HttpResponse::header(std::string_view name) const { return find_header(headers, name).value_or(""); }
bool HttpResponse::has_header(std::string_view name) const { return find_header(headers, name).has_value(); }

std::optional<std::size_t> find_head_end(std::string_view raw) {
  auto pos = raw.find("\r\n\r\n");
  if (pos == std::string_view::npos) return std::nullopt;
  return pos + 4;
}

ResponseHead parse_response_head(std::string_view head) {
  auto fail = [&](const std::string& why) {
    return std::runtime_error("malformed HTTP response head (" + why + "): " + std::string(head));
  };
  auto next_line = [&head]() {
    auto eol = head.find("\r\n");
    auto line = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
    return line;
  };

  ResponseHead out;
  auto status_line = next_line();
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ')
    throw fail("status line");
  auto code = status_line.substr(9, 3);
  if (std::from_chars(code.data(), code.data() + 3, out.status).ptr != code.data() + 3) throw fail("status code");
  if (status_line.size() > 12) {
    if (status_line[12] != ' ') throw fail("status line");
    out.reason = status_line.substr(13);
  }
  for (auto line = next_line(); !line.empty(); line = next_line()) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) throw fail("header line '" + std::string(line) + "'");
    out.headers.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
  }
  return out;
}

BodyDecoder::BodyDecoder(const ResponseHead& head, std::string_view request_method) {
  bool bodyless = request_method == "HEAD" || (head.status >= 100 && head.status < 200) || head.status == 204 ||
                  head.status == 304;
  if (bodyless) return;
  if (auto te = find_header(head.headers, "Transfer-Encoding"); te && iequals(trim(*te), "chunked")) {
    chunked_ = true;
    state_ = State::size_line;
  } else if (auto cl = find_header(head.headers, "Content-Length")) {
    std::size_t n = 0;
    auto [ptr, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
    if (ec != std::errc{} || ptr != cl->data() + cl->size() || cl->empty())
      throw std::runtime_error("invalid Content-Length: '" + *cl + "'");
    content_length_ = remaining_ = n;
    state_ = n > 0 ? State::data : State::done;
  } else {
    state_ = State::until_eof;
  }
}

std::size_t BodyDecoder::feed(std::string_view in, std::string& out) {
  std::size_t i = 0;
  while (i < in.size() && !complete()) {
    if (state_ == State::until_eof) {
      out.append(in.substr(i));
      return in.size();
    }
    if (state_ == State::data) {
      auto n = std::min(remaining_, in.size() - i);
      out.append(in.substr(i, n));
      i += n;
      remaining_ -= n;
      if (remaining_ == 0) state_ = chunked_ ? State::data_end : State::done;
      continue;
    }
    auto nl = in.find('\n', i);
    line_.append(in.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i));
    if (nl == std::string_view::npos) return in.size();
    i = nl + 1;
    if (line_.empty() || line_.back() != '\r')
      throw std::runtime_error("chunked body: line not terminated by CRLF: '" + line_ + "'");
    line_.pop_back();
    on_line(std::exchange(line_, {}));
  }
  return i;
}

void BodyDecoder::on_line(const std::string& line) {
  switch (state_) {
    case State::size_line: {
      auto end = line.data() + line.size();
      auto [ptr, ec] = std::from_chars(line.data(), end, remaining_, 16);
      if (ec != std::errc{} || (ptr != end && *ptr != ';' && *ptr != ' ' && *ptr != '\t'))
        throw std::runtime_error("chunked body: bad chunk size line '" + line + "'");
      state_ = remaining_ > 0 ? State::data : State::trailers;
      break;
    }
    case State::data_end:
      if (!line.empty()) throw std::runtime_error("chunked body: chunk data longer than its declared size");
      state_ = State::size_line;
      break;
    case State::trailers:
      if (line.empty()) state_ = State::done;
      break;
    default:
      break;
  }
}

std::string host_port(const std::string& host, int port) {
  auto bare = strip_brackets(host);
  return (bare.find(':') != std::string::npos ? "[" + bare + "]" : bare) + ":" + std::to_string(port);
}

std::string format_request(std::string_view method, std::string_view target, const Headers& defaults,
                           const Headers& headers, std::string_view body) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  for (const auto& [name, value] : defaults)
    if (!find_header(headers, name)) out.append(name).append(": ").append(value).append("\r\n");
  for (const auto& [name, value] : headers) out.append(name).append(": ").append(value).append("\r\n");
  out.append("\r\n").append(body);
  return out;
}

int connect_tcp(const std::string& host, int port, int rcvbuf, const std::string& source) {
  auto where = host_port(host, port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(strip_brackets(host).c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0)
    throw std::runtime_error("connect to " + where + ": " + ::gai_strerror(rc));
  int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
  if (fd < 0) {
    ::freeaddrinfo(res);
    throw sys_error("socket for " + where);
  }
  sockaddr_in from{};
  from.sin_family = AF_INET;
  bool ok = (rcvbuf <= 0 || ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) == 0) &&
            (source.empty() || (::inet_pton(AF_INET, source.c_str(), &from.sin_addr) == 1 &&
                                ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0)) &&
            ::connect(fd, res->ai_addr, res->ai_addrlen) == 0;
  int err = errno;
  ::freeaddrinfo(res);
  if (!ok) {
    ::close(fd);
    errno = err;
    throw sys_error("connect to " + where);
  }
  return fd;
}

void send_all(int fd, std::string_view data, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!data.empty()) {
    if (!wait_for(fd, POLLOUT, deadline))
      throw std::runtime_error("send: timed out with " + std::to_string(data.size()) + " bytes unsent");
    // MSG_NOSIGNAL: a server that hangs up must fail the test, not kill it with SIGPIPE.
    auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0)
      data.remove_prefix(static_cast<std::size_t>(n));
    else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
      throw sys_error("send");
  }
}

RecvStatus recv_some(int fd, std::string& out, Clock::time_point deadline) {
  char buf[16384];
  for (;;) {
    if (!wait_for(fd, POLLIN, deadline)) return RecvStatus::timeout;
    auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      return RecvStatus::data;
    }
    if (n == 0 || errno == ECONNRESET) return RecvStatus::eof;
    if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) throw sys_error("recv");
  }
}

HttpResponse http_request(const std::string& host, int port, const std::string& method, const std::string& target,
                          const Headers& headers, const std::string& body, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto what = method + " " + target + " on " + host_port(host, port);
  SocketGuard sock(connect_tcp(host, port));

  Headers defaults{{"Host", host_port(host, port)}};
  if (!body.empty() || method == "POST") defaults.emplace_back("Content-Length", std::to_string(body.size()));
  defaults.emplace_back("Connection", "close");
  send_all(sock.get(), format_request(method, target, defaults, headers, body), timeout);

  std::string raw;
  bool eof = false;
  auto read_more = [&] {
    if (eof) throw std::runtime_error(what + ": connection closed mid-response; received: " + raw);
    auto st = recv_some(sock.get(), raw, deadline);
    if (st == RecvStatus::timeout)
      throw std::runtime_error(what + ": timed out after " + std::to_string(timeout.count()) +
                               " ms; received: " + raw);
    eof = st == RecvStatus::eof;
  };

  ResponseHead head;
  std::size_t pos = 0;
  // Interim 1xx responses (e.g. 100 Continue) precede the real one; 101 is final.
  do {
    std::optional<std::size_t> end;
    while (!(end = find_head_end(std::string_view(raw).substr(pos)))) read_more();
    head = parse_response_head(std::string_view(raw).substr(pos, *end));
    pos += *end;
  } while (head.status >= 100 && head.status < 200 && head.status != 101);

  BodyDecoder decoder(head, method);
  HttpResponse resp{head.status, std::move(head.reason), std::move(head.headers), {}};
  for (;;) {
    pos += decoder.feed(std::string_view(raw).substr(pos), resp.body);
    if (decoder.complete() || (eof && decoder.delimited_by_eof())) return resp;
    read_more();
  }
}

std::string raw_exchange(const std::string& host, int port, std::string_view request,
                         std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  SocketGuard sock(connect_tcp(host, port));
  std::string out;
  try {
    send_all(sock.get(), request, timeout);
  } catch (const std::runtime_error&) {
    // A server may legitimately reject a malformed request and close before
    // reading all of it; what it answered is still what the test wants.
  }
  while (recv_some(sock.get(), out, deadline) == RecvStatus::data) {
  }
  return out;
}

}  // namespace es::test
