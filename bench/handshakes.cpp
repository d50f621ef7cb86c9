#include "handshakes.hpp"

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "client_stream.hpp"
#include "lane.hpp"

namespace loadgen {

namespace {

struct Shared {
  net::io_context ioc;
  net::ssl::context* tls = nullptr;
  tcp::endpoint server;
  std::string request;
  std::string host;
  int count = 0, sources = 1;
  std::atomic<int> next{0};
  std::atomic<std::int64_t> first_ns{0}, last_ns{0};
  std::mutex mutex; // guards `result`
  HandshakeResult result;
};

// One of the `concurrency` clients: a new connection after each answer, until all are claimed.
class Client : public std::enable_shared_from_this<Client> {
public:
  explicit Client(Shared& shared) : shared_(shared) {}

  void next() {
    int i = shared_.next.fetch_add(1);
    if (i >= shared_.count) return;
    start_ns_ = now_ns();
    std::int64_t unset = 0;
    shared_.first_ns.compare_exchange_strong(unset, start_ns_);
    stream_ = std::make_unique<ClientStream>(shared_.ioc, shared_.tls);
    response_.clear();
    net::ip::address from = shared_.server.address();
    if (from.is_v4()) from = net::ip::make_address_v4("127.0.0." + std::to_string(1 + i % shared_.sources));
    stream_->connect(shared_.server, from, shared_.host,
                     [self = shared_from_this()](const std::string& failed, error_code ec) {
                       if (!failed.empty()) return self->done(failed + ": " + ec.message());
                       self->stream_->async_write(net::buffer(self->shared_.request),
                                                  [self](error_code we, std::size_t) {
                                                    if (we) return self->done("request: " + we.message());
                                                    self->read();
                                                  });
                     });
  }

private:
  // Until the server closes (Connection: close); a TLS peer that closes without
  // close_notify ends the answer just the same.
  void read() {
    stream_->async_read_some(net::buffer(buffer_), [self = shared_from_this()](error_code ec, std::size_t n) {
      self->response_.append(self->buffer_.data(), n);
      if (!ec) return self->read();
      auto& answer = self->response_;
      if (answer.compare(0, 12, "HTTP/1.1 200") == 0) return self->done("");
      self->done(answer.empty() ? "answer: none (" + ec.message() + ")" : "answer: " + answer.substr(0, answer.find('\r')));
    });
  }

  void done(const std::string& failed) {
    auto now = now_ns();
    stream_->close();
    {
      std::lock_guard lock(shared_.mutex);
      if (failed.empty()) {
        ++shared_.result.completed;
        shared_.result.latency_us.push_back(static_cast<std::uint32_t>((now - start_ns_) / 1000));
      } else {
        ++shared_.result.failed;
        ++shared_.result.reasons[failed];
      }
    }
    shared_.last_ns.store(now);
    next();
  }

  Shared& shared_;
  std::unique_ptr<ClientStream> stream_;
  std::array<char, 4096> buffer_{};
  std::string response_;
  std::int64_t start_ns_ = 0;
};

} // namespace

HandshakeResult run_handshakes(const Url& url, int count, int concurrency, int sources, int threads,
                               double timeout_seconds) {
  std::unique_ptr<net::ssl::context> tls; // outlives the connections
  if (url.tls) tls = client_tls("http/1.1");
  Shared shared;
  shared.tls = tls.get();
  shared.server = *tcp::resolver(shared.ioc).resolve(url.host, std::to_string(url.port)).begin();
  shared.host = url.host;
  shared.request = "GET /healthz HTTP/1.1\r\nHost: " + url.authority() + "\r\nConnection: close\r\n\r\n";
  shared.count = count;
  shared.sources = std::max(1, sources);

  std::vector<std::shared_ptr<Client>> clients;
  for (int i = 0; i < concurrency; ++i) clients.push_back(std::make_shared<Client>(shared));
  for (auto& client : clients) net::post(shared.ioc, [client] { client->next(); });
  // Bounded in time: what has not finished by then is not counted.
  net::steady_timer bound(shared.ioc, std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                          std::chrono::duration<double>(timeout_seconds)));
  bound.async_wait([&shared](error_code ec) {
    if (!ec) shared.ioc.stop();
  });
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back([&shared] { shared.ioc.run(); });
  // All claimed and answered: stop the bound so the threads return.
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard lock(shared.mutex);
    if (shared.ioc.stopped() || shared.result.completed + shared.result.failed >= static_cast<std::uint64_t>(count))
      break;
  }
  shared.ioc.stop();
  for (auto& t : pool) t.join();
  clients.clear();
  HandshakeResult result = std::move(shared.result);
  result.seconds = static_cast<double>(shared.last_ns.load() - shared.first_ns.load()) / 1e9;
  return result;
}

} // namespace loadgen
