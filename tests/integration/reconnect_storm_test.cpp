// A restart sends thousands of clients away at once. They come back as EventSource
// would: after the `retry:` the server gave them, or Retry-After when it answered 503.
// The server's jitter must spread them out, and every one must be served again.
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "support/server_process.hpp"

namespace es::test {
namespace {

namespace net = boost::asio;
using net::ip::tcp;
using Clock = std::chrono::steady_clock;

class Swarm;

// One EventSource-like client: connects, reads the stream, and when it ends (or cannot
// connect) comes back after the delay the server asked for.
class Client : public std::enable_shared_from_this<Client> {
public:
  Client(Swarm& swarm, int index);
  void connect();
  bool open() const { return open_; }
  std::chrono::milliseconds retry() const { return retry_; } // the last retry: the server sent

private:
  void read();
  void on_bytes();
  void come_back(std::chrono::milliseconds after);

  Swarm& swarm_;
  int index_;
  tcp::socket socket_;
  net::steady_timer timer_;
  std::string request_;
  std::array<char, 4096> chunk_{};
  std::string seen_; // the response head and the start of the stream
  bool open_ = false;
  std::chrono::milliseconds retry_{3000}; // EventSource's usual default until told
};

class Swarm {
public:
  Swarm(int port, int size) : endpoint_(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)) {
    for (int i = 0; i < size; ++i) clients_.push_back(std::make_shared<Client>(*this, i));
    for (auto& client : clients_) client->connect();
  }
  net::io_context& context() { return context_; }
  const tcp::endpoint& endpoint() const { return endpoint_; }
  int open_count() const {
    return static_cast<int>(std::count_if(clients_.begin(), clients_.end(), [](auto& c) { return c->open(); }));
  }
  // Runs the clients until all are open, or `limit` passed; returns whether they are.
  bool run_until_all_open(std::chrono::seconds limit) {
    auto deadline = Clock::now() + limit;
    while (open_count() < static_cast<int>(clients_.size()) && Clock::now() < deadline)
      context_.run_for(std::chrono::milliseconds(50));
    return open_count() == static_cast<int>(clients_.size());
  }
  void run_for(std::chrono::milliseconds time) { context_.run_for(time); }
  const std::vector<std::shared_ptr<Client>>& clients() const { return clients_; }

private:
  net::io_context context_{1};
  tcp::endpoint endpoint_;
  std::vector<std::shared_ptr<Client>> clients_;
};

Client::Client(Swarm& swarm, int index)
    : swarm_(swarm), index_(index), socket_(swarm.context()), timer_(swarm.context()),
      request_("GET /events/?channel=storm HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n") {}

void Client::connect() {
  boost::system::error_code ec;
  socket_.close(ec);
  socket_.open(tcp::v4(), ec);
  // Spread over source addresses: two rounds of 5,000 connections leave many ports in use.
  if (!ec) socket_.bind(tcp::endpoint(net::ip::make_address_v4("127.0.0." + std::to_string(2 + index_ % 4)), 0), ec);
  if (ec) return come_back(retry_);
  socket_.async_connect(swarm_.endpoint(), [self = shared_from_this()](boost::system::error_code connect_ec) {
    if (connect_ec) return self->come_back(self->retry_);
    net::async_write(self->socket_, net::buffer(self->request_), [self](boost::system::error_code write_ec, std::size_t) {
      if (write_ec) return self->come_back(self->retry_);
      self->seen_.clear();
      self->read();
    });
  });
}

void Client::read() {
  socket_.async_read_some(net::buffer(chunk_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
    if (ec) return self->come_back(self->retry_);
    if (self->seen_.size() < 8192) self->seen_.append(self->chunk_.data(), n);
    self->on_bytes();
    self->read();
  });
}

void Client::on_bytes() {
  if (open_ || seen_.find("\r\n\r\n") == std::string::npos) return;
  if (seen_.rfind("HTTP/1.1 503", 0) == 0) { // over --max-connections
    auto at = seen_.find("Retry-After: ");
    int seconds = at == std::string::npos ? 5 : std::stoi(seen_.substr(at + 13));
    boost::system::error_code ignored;
    socket_.close(ignored); // the read in flight ends with an error: come_back is not called twice
    timer_.expires_after(std::chrono::seconds(seconds));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->connect();
    });
    return;
  }
  auto retry = seen_.find("\nretry: ");
  if (seen_.find("event: stream-open") == std::string::npos || retry == std::string::npos ||
      seen_.find('\n', retry + 8) == std::string::npos)
    return;
  retry_ = std::chrono::milliseconds(std::stoi(seen_.substr(retry + 8)));
  open_ = true;
}

void Client::come_back(std::chrono::milliseconds after) {
  if (timer_.expiry() > Clock::now()) return; // a 503's Retry-After is already counting
  open_ = false;
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->connect();
  });
}

TEST(ReconnectStorm, FiveThousandClientsComeBackSpreadOutAndAreAllServed) {
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);
  constexpr int clients = 5000;

  auto first = std::make_unique<ServerProcess>(std::vector<std::string>{"--retry", "2000", "--storage", "none"});
  int port = first->port();
  Swarm swarm(port, clients);
  ASSERT_TRUE(swarm.run_until_all_open(std::chrono::seconds(60))) << swarm.open_count() << " of " << clients;
  for (auto& client : swarm.clients()) ASSERT_TRUE(client->open());

  // What the server told them decides when they come back: 2 to 4 s after their stream
  // ended, spread across, not all in the same moment (a uniform spread puts about a
  // quarter in each half second).
  std::map<long, int> per_half_second;
  for (auto& client : swarm.clients()) {
    auto retry = client->retry().count();
    ASSERT_GE(retry, 2000);
    ASSERT_LE(retry, 4000);
    ++per_half_second[retry / 500];
  }
  int busiest = 0;
  for (auto& [half_second, count] : per_half_second) busiest = std::max(busiest, count);
  EXPECT_LT(busiest, clients * 4 / 10) << "most clients were told to come back in the same half second";

  // The restart: every stream ends, and a new server takes the port at once. Every client
  // is served again, the ones the new server refused while busy after their Retry-After.
  EXPECT_EQ(first->stop(), 0);
  for (int waited = 0; waited < 40 && swarm.open_count() > 0; ++waited) swarm.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(swarm.open_count(), 0);
  ServerProcess second({"--retry", "2000", "--storage", "none"}, "127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(swarm.run_until_all_open(std::chrono::seconds(60))) << swarm.open_count() << " of " << clients;
  EXPECT_TRUE(second.running());
}

} // namespace
} // namespace es::test
