// HTTPS through the real binary, with real clients: curl over HTTP/2, openssl s_client
// for what the TLS settings allow, and plain HTTP sent to the TLS port.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>

#include <openssl/ssl.h>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

// `openssl s_client` connecting with `options`: with -brief its verdict is on stderr,
// without, what was negotiated and the certificate are on stdout.
CommandResult s_client(const ServerProcess& server, std::vector<std::string> options, const std::string& input = "Q\n") {
  std::vector<std::string> args{"s_client", "-connect", host_port(server.host(), server.port())};
  args.insert(args.end(), options.begin(), options.end());
  return run_program("/usr/bin/openssl", args, input, 10s);
}

bool handshakes(const ServerProcess& server, std::vector<std::string> options) {
  options.push_back("-brief");
  auto result = s_client(server, options);
  return result.exit_code == 0 && result.err.find("CONNECTION ESTABLISHED") != std::string::npos;
}

// A TLS 1.3 client on a non-blocking socket, so that a test can stop the server between
// its steps and not be stopped with it.
class NonBlockingTls {
public:
  explicit NonBlockingTls(const ServerProcess& server)
      : context_(SSL_CTX_new(TLS_client_method()), SSL_CTX_free), fd_(connect_tcp(server.host(), server.port())) {
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    // OpenSSL writes with write(2): a server that hung up fails the test, not kills it.
    std::signal(SIGPIPE, SIG_IGN);
    SSL_CTX_set_min_proto_version(context_.get(), TLS1_3_VERSION);
    ssl_.reset(SSL_new(context_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    SSL_set_connect_state(ssl_.get());
  }
  ~NonBlockingTls() {
    ssl_.reset();
    ::close(fd_);
  }

  bool handshake(std::chrono::milliseconds timeout = 5s) {
    auto deadline = Clock::now() + timeout;
    while (SSL_do_handshake(ssl_.get()) != 1)
      if (Clock::now() > deadline || !readable(100ms)) return false;
    return true;
  }
  bool write(std::string_view bytes) {
    return SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size());
  }
  // What the server sends within `timeout`, until it closes.
  std::string read(std::chrono::milliseconds timeout) {
    std::string out;
    auto deadline = Clock::now() + timeout;
    char buffer[4096];
    while (Clock::now() < deadline) {
      int n = SSL_read(ssl_.get(), buffer, sizeof buffer);
      if (n > 0) {
        out.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (SSL_get_error(ssl_.get(), n) != SSL_ERROR_WANT_READ) break;
      readable(100ms);
    }
    return out;
  }

private:
  bool readable(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
  }

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context_;
  int fd_;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl_{nullptr, SSL_free};
};

// Whether every thread of `pid` is stopped (state T in /proc).
bool stopped(pid_t pid) {
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream stat(task.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    auto after_name = text.rfind(')');
    if (after_name == std::string::npos || text.substr(after_name + 2, 1) != "T") return false;
  }
  return !ec;
}

// The server is stopped for longer than --header-timeout while `step` happens, then
// continued: on waking it finds the client's bytes and its expired deadline together.
template <class Step> void while_stopped_past_the_header_timeout(ServerProcess& server, Step step) {
  ASSERT_EQ(::kill(server.pid(), SIGSTOP), 0);
  auto deadline = Clock::now() + 5s;
  while (!stopped(server.pid()) && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(stopped(server.pid()));
  step();
  std::this_thread::sleep_for(1500ms);
  ASSERT_EQ(::kill(server.pid(), SIGCONT), 0);
}

} // namespace

TEST(Https, CurlOverHttp2ReceivesAnEventAndSaysHttp2) {
  ServerProcess server({"--tls-self-signed", "--storage", "memory"});
  CommandResult stream;
  std::thread reader([&] {
    stream = run_program("/usr/bin/curl", {"--http2", "-N", "-s", "-i", "--insecure", "--max-time", "4",
                                           server.base_url() + "/events/?channel=news"}, "", 10s);
  });
  std::this_thread::sleep_for(1500ms);
  auto sent = run_eventstream({"send", "--insecure", "--url", server.base_url(), "news", "message", "{\"n\": 1}"});
  reader.join();
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(stream.out.rfind("HTTP/2 200", 0), 0u) << stream.out;
  EXPECT_NE(stream.out.find("content-type: text/event-stream"), std::string::npos) << stream.out;
  EXPECT_NE(stream.out.find("event: stream-open"), std::string::npos) << stream.out;
  EXPECT_NE(stream.out.find("data: {\"n\": 1}"), std::string::npos) << stream.out;
}

TEST(Https, CurlOverHttp11OverTlsGetsTheSameStream) {
  ServerProcess server({"--tls-self-signed", "--storage", "memory"});
  auto health = run_program("/usr/bin/curl", {"--http1.1", "-s", "-i", "--insecure", server.base_url() + "/healthz"});
  EXPECT_EQ(health.out.rfind("HTTP/1.1 200", 0), 0u) << health.out;
  EXPECT_NE(health.out.find("\r\n\r\nok\n"), std::string::npos) << health.out;
}

TEST(Https, OnlyTls12AndLaterAndModernCiphersAreAccepted) {
  ServerProcess server({"--tls-self-signed", "--storage", "memory"});
  EXPECT_TRUE(handshakes(server, {"-tls1_3"}));
  EXPECT_TRUE(handshakes(server, {"-tls1_2"}));
  EXPECT_FALSE(handshakes(server, {"-tls1_1"}));
  // No forward secrecy, or CBC: not in Mozilla's intermediate list.
  EXPECT_FALSE(handshakes(server, {"-tls1_2", "-cipher", "AES128-GCM-SHA256"}));
  EXPECT_FALSE(handshakes(server, {"-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA"}));
  EXPECT_TRUE(handshakes(server, {"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"}));
}

TEST(Https, AlpnOffersH2AndHttp11) {
  ServerProcess server({"--tls-self-signed", "--storage", "memory"});
  auto both = s_client(server, {"-alpn", "h2,http/1.1"});
  EXPECT_NE(both.out.find("ALPN protocol: h2"), std::string::npos) << both.out;
  auto old = s_client(server, {"-alpn", "http/1.1"});
  EXPECT_NE(old.out.find("ALPN protocol: http/1.1"), std::string::npos) << old.out;
  EXPECT_TRUE(handshakes(server, {})) << "a client without ALPN still connects";
}

TEST(Https, PlainHttpSentToTheTlsPortGetsA400NamingHttps) {
  ServerProcess server({"--tls-self-signed", "--storage", "memory"});
  auto answer = raw_exchange(server.host(), server.port(), "GET /events/?channel=x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 400 ", 0), 0u) << answer;
  EXPECT_NE(answer.find("use " + server.base_url()), std::string::npos) << answer;
  EXPECT_EQ(answer.find("text/event-stream"), std::string::npos) << answer;
  // The server serves on.
  auto health = run_program("/usr/bin/curl", {"-s", "--insecure", server.base_url() + "/healthz"});
  EXPECT_EQ(health.out, "ok\n");
}

TEST(Https, TheSelfSignedCertificateIsForLocalhostAndItsFingerprintIsPrinted) {
  ServerProcess server({"--tls-self-signed", "--storage", "memory"});
  auto shown = s_client(server, {"-showcerts"});
  auto pem_start = shown.out.find("-----BEGIN CERTIFICATE-----");
  ASSERT_NE(pem_start, std::string::npos) << shown.out;
  auto pem = shown.out.substr(pem_start, shown.out.find("-----END CERTIFICATE-----") + 25 - pem_start) + "\n";
  auto fingerprint = run_program("/usr/bin/openssl", {"x509", "-noout", "-fingerprint", "-sha256", "-ext",
                                                      "subjectAltName"}, pem);
  auto printed = fingerprint.out.substr(fingerprint.out.find('=') + 1, 95);
  EXPECT_NE(server.stdout_text().find(printed), std::string::npos) << printed << "\n" << server.stdout_text();
  for (const char* name : {"DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"})
    EXPECT_NE(fingerprint.out.find(name), std::string::npos) << name << "\n" << fingerprint.out;
}

TEST(Https, AClientThatComesBackResumesItsTlsSession) {
  ServerProcess server({"--tls-self-signed", "--storage", "memory"});
  auto session = server.workdir() + "/session.pem";
  // A request, answered before the server closes: over TLS 1.3 the session comes after
  // the handshake, with the server's first bytes.
  std::string request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  for (const char* version : {"-tls1_2", "-tls1_3"}) {
    auto first = s_client(server, {version, "-ign_eof", "-sess_out", session}, request);
    EXPECT_NE(first.out.find("New, TLSv1."), std::string::npos) << first.out;
    auto again = s_client(server, {version, "-sess_in", session});
    EXPECT_NE(again.out.find("Reused, TLSv1."), std::string::npos) << version << "\n" << again.out;
  }
}

// A stream's request arriving as --header-timeout runs out: the head and the deadline
// came due together, the connection became the stream's, then the deadline closed what
// the session had handed over, a moved-from TLS stream: a null dereference that ended
// the process.
TEST(Https, AStreamRequestArrivingAsItsDeadlineFiresEndsNothing) {
  ServerProcess server({"--tls-self-signed", "--storage", "memory", "--header-timeout", "1"});
  NonBlockingTls client(server);
  ASSERT_TRUE(client.handshake());
  client.read(300ms); // the session ticket
  while_stopped_past_the_header_timeout(
      server, [&] { ASSERT_TRUE(client.write("GET /events/?channel=late HTTP/1.1\r\nHost: localhost\r\n\r\n")); });
  auto answer = client.read(1s);
  EXPECT_TRUE(server.running()) << server.stderr_text();
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  auto health = run_program("/usr/bin/curl", {"-s", "--insecure", server.base_url() + "/healthz"});
  EXPECT_EQ(health.out, "ok\n");
}

// A connection over the limits gets its 429 and the end of the connection, not a reset:
// what the client still sends is read and dropped for a while, over TLS as in the clear.
// Over TLS the drain once ended at its first read (the connection was marked as having
// received the client's close_notify), so the server closed with the client's bytes
// unread, which resets the connection; a reset can destroy the 429 before it is read.
TEST(Https, AConnectionOverTheLimitsIsAnsweredAndNotReset) {
  ServerProcess server({"--tls-self-signed", "--storage", "memory", "--max-connections-per-address", "1"});
  NonBlockingTls held(server);
  ASSERT_TRUE(held.handshake());
  NonBlockingTls refused(server);
  ASSERT_TRUE(refused.handshake());
  std::this_thread::sleep_for(300ms); // the server has answered
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(refused.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")) << "reset after " << i;
    std::this_thread::sleep_for(50ms);
  }
  auto answer = refused.read(1s);
  EXPECT_EQ(answer.rfind("HTTP/1.1 429 ", 0), 0u) << answer;
}
