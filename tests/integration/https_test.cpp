// HTTPS through the real binary, with real clients: curl over HTTP/2, openssl s_client
// for what the TLS settings allow, and plain HTTP sent to the TLS port.
#include <gtest/gtest.h>

#include <thread>

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
