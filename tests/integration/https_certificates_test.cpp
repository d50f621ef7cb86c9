// Certificates through the real binary: how serve starts with them (and refuses bad
// ones), SIGHUP reloads under open streams, and the clients (send, kick, listen, doctor)
// with --cacert and --insecure. Certificates are made by the openssl command for each test.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "support/certificates.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace es::test {
namespace {

using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

bool says(const std::string& text, const std::string& words) { return text.find(words) != std::string::npos; }

std::vector<std::string> serving(const CertificateFiles& files) {
  return {"--tls-cert", files.cert, "--tls-key", files.key, "--storage", "memory"};
}

CommandResult send(const ServerProcess& server, const std::string& channel, std::vector<std::string> trust) {
  std::vector<std::string> args{"send", "--url", server.base_url()};
  args.insert(args.end(), trust.begin(), trust.end());
  args.insert(args.end(), {channel, "message", "{\"n\": 1}"});
  return run_eventstream(args);
}

// `eventstream listen` on a thread of its own, trusting `cacert`, until `count` events
// came; the thread is joined when it goes out of scope, before `result` does.
std::jthread listen_meanwhile(CommandResult& result, const ServerProcess& server, const std::string& cacert,
                              int count, const std::string& channel) {
  return std::jthread([&result, url = server.base_url(), cacert, count, channel] {
    result = run_eventstream({"listen", "--url", url, "--cacert", cacert, "--count", std::to_string(count),
                              "--timeout", "30", "--format", "json", channel},
                             "", 40s);
  });
}

// A CA, and a certificate for localhost it issued that serve is started with.
struct IssuedPair {
  TempDir dir;
  CertificateFiles ca = make_ca(dir, "ca");
  CertificateFiles server = make_certificate(dir, "server", &ca);
};

TEST(HttpsCertificates, TheStartupLineSaysHttpsAndWhichCertificate) {
  IssuedPair files;
  ServerProcess server(serving(files.server));
  EXPECT_EQ(server.base_url().rfind("https://127.0.0.1:", 0), 0u) << server.base_url();
  auto out = server.stdout_text();
  EXPECT_TRUE(says(out, "listening on https://")) << out;
  EXPECT_TRUE(says(out, "TLS certificate " + files.server.cert + " (SHA-256 " +
                            sha256_fingerprint(files.server.cert) + ")"))
      << out;
  EXPECT_EQ(served_fingerprint(server.host(), server.port()), sha256_fingerprint(files.server.cert));
}

TEST(HttpsCertificates, SelfSignedPrintsItsFingerprintAndHowToConnect) {
  ServerProcess server({"--tls-self-signed", "--storage", "memory"});
  auto out = server.stdout_text();
  auto fingerprint = served_fingerprint(server.host(), server.port());
  EXPECT_TRUE(says(out, "self-signed for localhost, 127.0.0.1 and ::1, made now, SHA-256 " + fingerprint)) << out;
  EXPECT_TRUE(says(out, "--insecure")) << out;
  EXPECT_TRUE(says(out, "browser warning")) << out;
}

// Each start fails on a value that only the environment or the file gave: that shows it was read.
TEST(HttpsCertificates, TheEnvironmentAndTheConfigFileGiveTheTlsOptions) {
  IssuedPair files;
  auto from_env = run_eventstream({"serve", "127.0.0.1:0", "--storage", "memory"}, "", 5s,
                                  {{"EVENTSTREAM_TLS_CERT", files.server.cert}, {"EVENTSTREAM_TLS_KEY", "/nowhere.key"}});
  EXPECT_EQ(from_env.exit_code, 1) << from_env.err;
  EXPECT_TRUE(says(from_env.err, "--tls-key /nowhere.key: no such file")) << from_env.err;
  auto streams_from_env = run_eventstream({"serve", "127.0.0.1:0"}, "", 5s, {{"EVENTSTREAM_H2_MAX_STREAMS", "0"}});
  EXPECT_EQ(streams_from_env.exit_code, 2) << streams_from_env.err;

  std::string config = files.dir.file("eventstream.toml");
  std::ofstream(config) << "[serve]\ntls-self-signed = true\ntls-cert = \"" << files.server.cert << "\"\n";
  auto from_file = run_eventstream({"--config", config, "serve", "127.0.0.1:0"}, "", 5s);
  EXPECT_EQ(from_file.exit_code, 2) << from_file.err;
  EXPECT_TRUE(says(from_file.err, "--tls-self-signed makes its own certificate")) << from_file.err;
  std::ofstream(config) << "[serve]\nh2-max-streams = 20000\n";
  auto streams_from_file = run_eventstream({"--config", config, "serve", "127.0.0.1:0"}, "", 5s);
  EXPECT_EQ(streams_from_file.exit_code, 2) << streams_from_file.err;
  EXPECT_TRUE(says(streams_from_file.err, "--h2-max-streams")) << streams_from_file.err;
}

TEST(HttpsCertificates, ABadCertificateStopsTheStartSayingWhatIsWrong) {
  IssuedPair files;
  auto other = make_certificate(files.dir, "other");
  auto missing = run_eventstream({"serve", "127.0.0.1:0", "--tls-cert", files.dir.file("gone.crt"), "--tls-key",
                                  files.server.key});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(says(missing.err, "--tls-cert " + files.dir.file("gone.crt") + ": no such file")) << missing.err;
  auto mismatched = run_eventstream({"serve", "127.0.0.1:0", "--tls-cert", files.server.cert, "--tls-key", other.key});
  EXPECT_EQ(mismatched.exit_code, 1);
  EXPECT_TRUE(says(mismatched.err, "is not the key of the certificate")) << mismatched.err;
  EXPECT_FALSE(says(mismatched.err, "PRIVATE KEY")) << "no key material in messages";

  auto alone = run_eventstream({"serve", "127.0.0.1:0", "--tls-cert", files.server.cert});
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_TRUE(says(alone.err, "--tls-cert needs --tls-key FILE")) << alone.err;
  auto both = run_eventstream({"serve", "127.0.0.1:0", "--tls-self-signed", "--tls-cert", files.server.cert,
                               "--tls-key", files.server.key});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_TRUE(says(both.err, "--tls-self-signed makes its own certificate")) << both.err;
  for (const char* streams : {"0", "10001"}) {
    auto out_of_range = run_eventstream({"serve", "127.0.0.1:0", "--h2-max-streams", streams});
    EXPECT_EQ(out_of_range.exit_code, 2) << streams;
    EXPECT_TRUE(says(out_of_range.err, "--h2-max-streams")) << out_of_range.err;
  }
}

TEST(HttpsCertificates, SighupServesARenewedCertificateWithoutDroppingOpenStreams) {
  IssuedPair files;
  auto next_ca = make_ca(files.dir, "next-ca");
  auto renewed = make_certificate(files.dir, "renewed", &next_ca);
  ServerProcess server(serving(files.server));

  CommandResult stream;
  auto listener = listen_meanwhile(stream, server, files.ca.cert, 2, "renew");
  ASSERT_TRUE(eventually([&] { return says(server.stderr_text(), "stream open"); })) << server.stderr_text();
  EXPECT_EQ(send(server, "renew", {"--cacert", files.ca.cert}).exit_code, 0);

  std::filesystem::copy_file(renewed.cert, files.server.cert, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed.key, files.server.key, std::filesystem::copy_options::overwrite_existing);
  ::kill(server.pid(), SIGHUP);
  ASSERT_TRUE(eventually([&] { return says(server.stderr_text(), "TLS certificate reloaded"); }))
      << server.stderr_text();
  EXPECT_TRUE(says(server.stderr_text(), "TLS certificate reloaded (SHA-256 " + sha256_fingerprint(renewed.cert) + ")"))
      << server.stderr_text();

  // New connections get the new certificate: only its CA is trusted now.
  EXPECT_EQ(served_fingerprint(server.host(), server.port()), sha256_fingerprint(renewed.cert));
  auto old_trust = send(server, "renew", {"--cacert", files.ca.cert});
  EXPECT_EQ(old_trust.exit_code, 1) << old_trust.err;
  auto sent = send(server, "renew", {"--cacert", next_ca.cert});
  EXPECT_EQ(sent.exit_code, 0) << sent.err;

  // The stream opened before the reload is the same connection, and gets the later event.
  listener.join();
  EXPECT_EQ(stream.exit_code, 0) << stream.err;
  EXPECT_EQ(std::count(stream.out.begin(), stream.out.end(), '\n'), 2) << stream.out;
  EXPECT_FALSE(says(stream.err, "reconnecting")) << stream.err;
  EXPECT_TRUE(server.running());
}

TEST(HttpsCertificates, SighupWithABadPairKeepsServingTheOldCertificate) {
  IssuedPair files;
  auto other = make_certificate(files.dir, "other");
  ServerProcess server(serving(files.server));
  std::filesystem::copy_file(other.key, files.server.key, std::filesystem::copy_options::overwrite_existing);
  ::kill(server.pid(), SIGHUP);
  ASSERT_TRUE(eventually([&] { return says(server.stderr_text(), "TLS reload refused"); })) << server.stderr_text();
  auto log = server.stderr_text();
  EXPECT_TRUE(says(log, "TLS reload refused: --tls-key " + files.server.key + " is not the key of the certificate"))
      << log;
  EXPECT_TRUE(says(log, "; still serving the previous certificate")) << log;
  EXPECT_FALSE(says(log, "PRIVATE KEY")) << log;
  EXPECT_EQ(served_fingerprint(server.host(), server.port()), sha256_fingerprint(files.server.cert));
  EXPECT_EQ(send(server, "kept", {"--cacert", files.ca.cert}).exit_code, 0);
}

TEST(HttpsClients, CacertTrustsTheServersCa) {
  IssuedPair files;
  ServerProcess server(serving(files.server));
  CommandResult stream;
  auto listener = listen_meanwhile(stream, server, files.ca.cert, 1, "trusted");
  ASSERT_TRUE(eventually([&] { return says(server.stderr_text(), "stream open"); })) << server.stderr_text();
  auto sent = send(server, "trusted", {"--cacert", files.ca.cert});
  listener.join();
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(sent.out, "trusted:1\n");
  EXPECT_EQ(stream.exit_code, 0) << stream.err;
  EXPECT_TRUE(says(stream.out, "\"data\": {\"n\": 1}")) << stream.out;
  auto kicked = run_eventstream({"kick", "--url", server.base_url(), "--cacert", files.ca.cert, "alice", "trusted"});
  EXPECT_EQ(kicked.exit_code, 0) << kicked.err;
  EXPECT_EQ(kicked.out, "0 streams ended\n");
}

TEST(HttpsClients, InsecureSkipsTheCheck) {
  ServerProcess server({"--tls-self-signed", "--storage", "memory"});
  auto sent = send(server, "dev", {"--insecure"});
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  auto replayed = run_eventstream({"listen", "--url", server.base_url(), "--insecure", "--last-event-id", "dev:0",
                                   "--count", "1", "--timeout", "10", "dev"});
  EXPECT_EQ(replayed.exit_code, 0) << replayed.err;
  EXPECT_TRUE(says(replayed.out, "{\"n\": 1}")) << replayed.out;
  auto kicked = run_eventstream({"kick", "--url", server.base_url(), "--insecure", "alice", "dev"});
  EXPECT_EQ(kicked.exit_code, 0) << kicked.err;
}

TEST(HttpsClients, AnUntrustedCertificateSaysToGiveCacertOrInsecure) {
  IssuedPair files;
  auto stranger = make_ca(files.dir, "stranger");
  ServerProcess server(serving(files.server));
  for (const std::vector<std::string>& trust : {std::vector<std::string>{}, {"--cacert", stranger.cert}}) {
    auto sent = send(server, "nope", trust);
    EXPECT_EQ(sent.exit_code, 1);
    EXPECT_TRUE(says(sent.err, "SSL certificate problem")) << sent.err;
    EXPECT_TRUE(says(sent.err, "pass --cacert FILE")) << sent.err;
    EXPECT_TRUE(says(sent.err, "--insecure")) << sent.err;
  }
  auto kicked = run_eventstream({"kick", "--url", server.base_url(), "alice", "nope"});
  EXPECT_EQ(kicked.exit_code, 1);
  EXPECT_TRUE(says(kicked.err, "pass --cacert FILE")) << kicked.err;
  // listen gives up at once: retrying cannot make the certificate trusted.
  auto listened = run_eventstream({"listen", "--url", server.base_url(), "--timeout", "15", "nope"}, "", 20s);
  EXPECT_EQ(listened.exit_code, 1);
  EXPECT_TRUE(says(listened.err, "pass --cacert FILE")) << listened.err;
  EXPECT_FALSE(says(listened.err, "reconnecting")) << listened.err;
  auto doctor = run_eventstream({"doctor", "--idle", "0", server.base_url() + "/events/?channel=nope"});
  EXPECT_EQ(doctor.exit_code, 1);
  EXPECT_TRUE(says(doctor.out, "fix: the server's certificate is not trusted here")) << doctor.out;

  std::string not_pem = files.dir.file("not.pem");
  std::ofstream(not_pem) << "hello\n";
  auto bad_file = send(server, "nope", {"--cacert", not_pem});
  EXPECT_EQ(bad_file.exit_code, 1);
  EXPECT_TRUE(says(bad_file.err, "the --cacert file cannot be read as PEM certificates")) << bad_file.err;
}

TEST(HttpsClients, ATlsClientAtAPlainPortIsToldSo) {
  ServerProcess server({"--storage", "memory"});
  std::string url = "https://" + host_port(server.host(), server.port());
  auto sent = run_eventstream({"send", "--url", url, "--insecure", "c", "message", "1"});
  EXPECT_EQ(sent.exit_code, 1);
  EXPECT_TRUE(says(sent.err, "check that the server speaks HTTPS on this port")) << sent.err;
}

TEST(HttpsClients, DoctorReportsHttp2OverTls) {
  IssuedPair files;
  ServerProcess server(serving(files.server));
  auto doctor = run_eventstream({"doctor", "--idle", "0", "--cacert", files.ca.cert,
                                 server.base_url() + "/events/?channel=checked"});
  EXPECT_TRUE(says(doctor.out, "ok       HTTP/2: every stream of a page to this origin shares one connection"))
      << doctor.out;
  EXPECT_FALSE(says(doctor.out, "WARN")) << doctor.out;
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out;
}

TEST(HttpsClients, DoctorWarnsThatHttp11HoldsAPageToSixStreams) {
  ServerProcess server({"--storage", "memory"});
  auto doctor = run_eventstream({"doctor", "--idle", "0", server.base_url() + "/events/?channel=checked"});
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out; // a warning, not a problem
  EXPECT_TRUE(says(doctor.out, "WARN     HTTP/1.1: a browser opens at most 6 connections to this origin")) << doctor.out;
  EXPECT_TRUE(says(doctor.out, "has the 7th wait")) << doctor.out;
  EXPECT_TRUE(says(doctor.out, "--tls-cert FILE --tls-key FILE, or --tls-self-signed")) << doctor.out;
  EXPECT_TRUE(says(doctor.out, "no problems found, 1 warning")) << doctor.out;
}

} // namespace
} // namespace es::test
