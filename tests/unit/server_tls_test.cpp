#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config/server_config.hpp"
#include "support/certificates.hpp"
#include "tls/server_tls.hpp"

namespace es::test {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tls::ServerTls;

config::ServerConfig pair_config(const CertificateFiles& files) {
  config::ServerConfig config;
  config.tls_cert = files.cert;
  config.tls_key = files.key;
  return config;
}

config::ServerConfig self_signed_config() {
  config::ServerConfig config;
  config.tls_self_signed = true;
  return config;
}

// Why ServerTls refuses `config`, or "" when it loads.
std::string refusal(const config::ServerConfig& config) {
  try {
    ServerTls tls(config);
    return "";
  } catch (const std::runtime_error& e) {
    return e.what();
  }
}

void replace_file(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

struct Handshake {
  boost::system::error_code server, client;
  std::string protocol; // what ALPN settled on, as the server saw it
  bool resumed = false; // the server took the client's earlier session
  std::shared_ptr<SSL_SESSION> session; // the client's, to resume with
};

// A client (set up by `client`, then by `prepare` on its SSL*) handshakes with the
// server's current context over a socket pair.
Handshake handshake(const ServerTls& server_tls, ssl::context& client,
                    const std::function<void(SSL*)>& prepare = [](SSL*) {}) {
  net::io_context io;
  net::local::stream_protocol::socket server_socket(io), client_socket(io);
  net::local::connect_pair(server_socket, client_socket);
  auto context = server_tls.context();
  ssl::stream<net::local::stream_protocol::socket> server(std::move(server_socket), *context);
  ssl::stream<net::local::stream_protocol::socket> peer(std::move(client_socket), client);
  prepare(peer.native_handle());
  Handshake result;
  // Once both are through, each closes as it should: a session ended otherwise is not
  // resumable, and the client's reading for the server's close_notify also reads a TLS
  // 1.3 ticket. A side that fails closes its socket, so the other cannot wait forever.
  int done = 0;
  auto close_when_both_are = [&] {
    if (++done < 2 || result.server || result.client) return;
    peer.async_shutdown([](boost::system::error_code) {});
    server.async_shutdown([](boost::system::error_code) {});
  };
  server.async_handshake(ssl::stream_base::server, [&](boost::system::error_code ec) {
    result.server = ec;
    if (ec) server.next_layer().close();
    close_when_both_are();
  });
  peer.async_handshake(ssl::stream_base::client, [&](boost::system::error_code ec) {
    result.client = ec;
    if (ec) peer.next_layer().close();
    close_when_both_are();
  });
  io.run();
  result.protocol = tls::negotiated_protocol(server.native_handle());
  result.resumed = SSL_session_reused(server.native_handle()) == 1;
  result.session.reset(SSL_get1_session(peer.native_handle()), SSL_SESSION_free);
  return result;
}

// A client that checks the certificate against `ca_file` and the name `host`.
std::unique_ptr<ssl::context> verifying_client(const std::string& ca_file) {
  auto client = std::make_unique<ssl::context>(ssl::context::tls_client);
  client->load_verify_file(ca_file);
  client->set_verify_mode(ssl::verify_peer);
  return client;
}

auto checking_host(const std::string& host) {
  return [host](SSL* ssl) {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
  };
}

auto offering(std::string wire) {
  return [wire](SSL* ssl) {
    SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(wire.data()), static_cast<unsigned>(wire.size()));
  };
}

TEST(ServerTls, AGoodPairLoadsAndServesItsCertificate) {
  TempDir dir;
  auto files = make_certificate(dir, "server");
  ServerTls tls(pair_config(files));
  EXPECT_FALSE(tls.self_signed());
  EXPECT_EQ(tls.fingerprint(), sha256_fingerprint(files.cert));
  auto client = verifying_client(files.cert);
  auto result = handshake(tls, *client, checking_host("localhost"));
  EXPECT_FALSE(result.server) << result.server.message();
  EXPECT_FALSE(result.client) << result.client.message();
}

TEST(ServerTls, AChainIsSentWholeAndTheFingerprintIsTheServersOwn) {
  TempDir dir;
  auto root = make_ca(dir, "root");
  auto files = make_certificate(dir, "server", &root);
  ServerTls tls(pair_config(files));
  EXPECT_EQ(tls.fingerprint(), sha256_fingerprint(files.cert));
  EXPECT_NE(tls.fingerprint(), sha256_fingerprint(root.cert));
  auto client = verifying_client(root.cert);
  auto result = handshake(tls, *client, checking_host("localhost"));
  EXPECT_FALSE(result.client) << result.client.message();
}

TEST(ServerTls, AKeyOfAnotherCertificateIsRefusedNamingBothFiles) {
  TempDir dir;
  auto one = make_certificate(dir, "one"), other = make_certificate(dir, "other");
  auto why = refusal(pair_config({one.cert, other.key}));
  EXPECT_NE(why.find("--tls-key " + other.key + " is not the key of the certificate in --tls-cert " + one.cert),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("give the key the certificate was issued for"), std::string::npos) << why;
}

TEST(ServerTls, TheServersCertificateMustComeFirstInTheChain) {
  TempDir dir;
  auto root = make_ca(dir, "root");
  auto files = make_certificate(dir, "server", &root);
  std::string reversed = dir.file("reversed.crt");
  std::ofstream(reversed) << read_file(root.cert) << read_file(files.cert);
  auto why = refusal(pair_config({reversed, files.key}));
  EXPECT_NE(why.find("put the server's own certificate first"), std::string::npos) << why;
}

TEST(ServerTls, AMissingFileIsNamed) {
  TempDir dir;
  auto files = make_certificate(dir, "server");
  auto why = refusal(pair_config({dir.file("nope.crt"), files.key}));
  EXPECT_NE(why.find("--tls-cert " + dir.file("nope.crt") + ": no such file"), std::string::npos) << why;
  EXPECT_NE(why.find("--tls-self-signed"), std::string::npos) << why;
  why = refusal(pair_config({files.cert, dir.file("nope.key")}));
  EXPECT_NE(why.find("--tls-key " + dir.file("nope.key") + ": no such file"), std::string::npos) << why;
  why = refusal(pair_config({dir.path(), files.key}));
  EXPECT_NE(why.find("is a directory"), std::string::npos) << why;
}

TEST(ServerTls, WhatIsNotAPemCertificateOrKeyIsSaid) {
  TempDir dir;
  auto files = make_certificate(dir, "server");
  auto why = refusal(pair_config({files.key, files.cert}));
  EXPECT_NE(why.find("holds a private key, not a certificate: are --tls-cert and --tls-key swapped?"),
            std::string::npos)
      << why;

  std::string der = dir.file("server.der");
  run_openssl({"x509", "-in", files.cert, "-outform", "der", "-out", der});
  why = refusal(pair_config({der, files.key}));
  EXPECT_NE(why.find("holds no PEM certificate"), std::string::npos) << why;
  EXPECT_NE(why.find("-inform der"), std::string::npos) << why;

  std::string empty = dir.file("empty.key");
  std::ofstream{empty};
  why = refusal(pair_config({files.cert, empty}));
  EXPECT_NE(why.find("--tls-key " + empty + " is empty"), std::string::npos) << why;

  std::string damaged = dir.file("damaged.crt");
  std::string pem = read_file(files.cert);
  std::ofstream(damaged) << pem.substr(0, pem.size() / 2) << "\n-----END CERTIFICATE-----\n";
  why = refusal(pair_config({damaged, files.key}));
  EXPECT_NE(why.find("certificate 1 in the file is damaged"), std::string::npos) << why;
}

TEST(ServerTls, AnEncryptedKeyIsRefusedWithHowToDecryptIt) {
  TempDir dir;
  auto files = make_certificate(dir, "server");
  std::string locked = dir.file("locked.key");
  run_openssl({"pkey", "-in", files.key, "-aes256", "-passout", "pass:secret", "-out", locked});
  auto why = refusal(pair_config({files.cert, locked}));
  EXPECT_NE(why.find("is encrypted with a passphrase"), std::string::npos) << why;
  EXPECT_NE(why.find("openssl pkey -in"), std::string::npos) << why;
}

TEST(ServerTls, AnExpiredCertificateIsRefused) {
  TempDir dir;
  auto files = make_certificate(dir, "old", nullptr, true);
  auto why = refusal(pair_config(files));
  EXPECT_NE(why.find("the certificate in --tls-cert " + files.cert + " expired on "), std::string::npos) << why;
  EXPECT_NE(why.find("renew it"), std::string::npos) << why;
}

TEST(ServerTls, AReloadWithABadPairKeepsTheCurrentOne) {
  TempDir dir;
  auto files = make_certificate(dir, "server"), other = make_certificate(dir, "other");
  ServerTls tls(pair_config(files));
  auto before = tls.context();
  auto fingerprint = tls.fingerprint();

  replace_file(other.key, files.key); // a new key without its certificate
  auto why = tls.reload();
  EXPECT_NE(why.find("is not the key of the certificate"), std::string::npos) << why;
  EXPECT_EQ(tls.fingerprint(), fingerprint);
  EXPECT_EQ(tls.context(), before);

  std::filesystem::remove(files.cert);
  why = tls.reload();
  EXPECT_NE(why.find("no such file"), std::string::npos) << why;
  EXPECT_EQ(tls.fingerprint(), fingerprint);
  ssl::context any(ssl::context::tls_client);
  EXPECT_FALSE(handshake(tls, any).client) << "the kept context still serves";
}

TEST(ServerTls, AReloadWithANewGoodPairServesItToNewConnections) {
  TempDir dir;
  auto files = make_certificate(dir, "server"), renewed = make_certificate(dir, "renewed");
  ServerTls tls(pair_config(files));
  auto before = tls.context();

  replace_file(renewed.cert, files.cert);
  replace_file(renewed.key, files.key);
  EXPECT_EQ(tls.reload(), "");
  EXPECT_EQ(tls.fingerprint(), sha256_fingerprint(renewed.cert));
  EXPECT_NE(tls.context(), before);
  auto client = verifying_client(renewed.cert);
  EXPECT_FALSE(handshake(tls, *client, checking_host("localhost")).client);
  // What an open connection holds still works: it is its own shared_ptr.
  EXPECT_NE(SSL_CTX_get0_certificate(before->native_handle()), nullptr);
}

TEST(ServerTls, SelfSignedNamesLocalhostAndTheLoopbackAddresses) {
  ServerTls tls(self_signed_config());
  EXPECT_TRUE(tls.self_signed());
  // "AB:CD:...": 32 bytes in upper-case hex, colon-separated. Not with std::regex, which
  // g++ 12 warns about (maybe-uninitialized) in the sanitizer build, where warnings fail.
  auto fingerprint = tls.fingerprint();
  bool shaped = fingerprint.size() == 32 * 3 - 1;
  for (std::size_t i = 0; shaped && i < fingerprint.size(); ++i)
    shaped = i % 3 == 2 ? fingerprint[i] == ':' : std::isxdigit(static_cast<unsigned char>(fingerprint[i])) &&
                                                      !std::islower(static_cast<unsigned char>(fingerprint[i]));
  EXPECT_TRUE(shaped) << fingerprint;
  X509* cert = SSL_CTX_get0_certificate(tls.context()->native_handle());
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "::1", 0), 1);
  EXPECT_NE(X509_check_host(cert, "example.com", 0, 0, nullptr), 1);
  // About 30 days: it is for a development session, not for keeping.
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)), 1);
  EXPECT_GE(days, 29);
  EXPECT_LE(days, 31);
  EXPECT_EQ(tls.reload(), ""); // nothing to read again
  EXPECT_NE(ServerTls(self_signed_config()).fingerprint(), tls.fingerprint()) << "a fresh one each time";

  // A client that trusts exactly this certificate verifies it for each name.
  ssl::context client(ssl::context::tls_client);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(client.native_handle()), cert);
  client.set_verify_mode(ssl::verify_peer);
  EXPECT_FALSE(handshake(tls, client, checking_host("localhost")).client);
  EXPECT_FALSE(handshake(tls, client, [](SSL* ssl) {
                 X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "::1");
               }).client);
}

TEST(ServerTls, NeitherFilesNorSelfSignedIsAUsageError) {
  EXPECT_THROW(ServerTls{config::ServerConfig{}}, std::invalid_argument);
}

// A client that speaks exactly `version`, with the old ciphers allowed, so that only the
// server can be what refuses it.
std::unique_ptr<ssl::context> client_speaking(int version) {
  auto client = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_security_level(client->native_handle(), 0);
  SSL_CTX_set_cipher_list(client->native_handle(), "ALL:@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(client->native_handle(), version);
  SSL_CTX_set_max_proto_version(client->native_handle(), version);
  return client;
}

TEST(ServerTls, OnlyTls12And13AreSpoken) {
  ServerTls tls(self_signed_config());
  for (int old : {TLS1_VERSION, TLS1_1_VERSION}) {
    auto result = handshake(tls, *client_speaking(old));
    EXPECT_TRUE(result.client) << old;
    EXPECT_TRUE(result.server) << old;
    EXPECT_NE(result.server.message().find("unsupported protocol"), std::string::npos) << result.server.message();
  }
  for (int current : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    auto result = handshake(tls, *client_speaking(current));
    EXPECT_FALSE(result.client) << current << ": " << result.client.message();
  }
}

TEST(ServerTls, Tls12TakesOnlyAeadCiphers) {
  ServerTls tls(self_signed_config());
  auto client = client_speaking(TLS1_2_VERSION);
  for (const char* weak : {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384"}) {
    SSL_CTX_set_cipher_list(client->native_handle(), weak);
    EXPECT_TRUE(handshake(tls, *client).client) << weak;
  }
  for (const char* good : {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"}) {
    SSL_CTX_set_cipher_list(client->native_handle(), good);
    EXPECT_FALSE(handshake(tls, *client).client) << good;
  }
}

TEST(ServerTls, AReturningClientResumesItsSessionWithoutATicket) {
  ServerTls tls(self_signed_config());
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    auto client = client_speaking(version);
    SSL_CTX_set_session_cache_mode(client->native_handle(), SSL_SESS_CACHE_CLIENT);
    auto first = handshake(tls, *client);
    ASSERT_FALSE(first.client) << first.client.message();
    ASSERT_TRUE(first.session);
    EXPECT_FALSE(first.resumed);
    // TLS 1.3 hands out the cache's session id as a ticket; TLS 1.2 gets none at all.
    if (version == TLS1_2_VERSION) {
      EXPECT_FALSE(SSL_SESSION_has_ticket(first.session.get()));
    }
    auto again = handshake(tls, *client, [&](SSL* ssl) { SSL_set_session(ssl, first.session.get()); });
    EXPECT_FALSE(again.client) << again.client.message();
    EXPECT_TRUE(again.resumed) << version;
  }
}

TEST(ServerTls, AlpnChoosesH2ThenHttp11AndLetsOthersIn) {
  ServerTls tls(self_signed_config());
  ssl::context client(ssl::context::tls_client);
  auto h2_and_1 = handshake(tls, client, offering(std::string("\x08http/1.1\x02h2", 12)));
  EXPECT_FALSE(h2_and_1.client);
  EXPECT_EQ(h2_and_1.protocol, "h2");
  EXPECT_EQ(handshake(tls, client, offering(std::string("\x08http/1.1", 9))).protocol, "http/1.1");
  auto other = handshake(tls, client, offering(std::string("\x06spdy/3", 7)));
  EXPECT_FALSE(other.client) << other.client.message();
  EXPECT_EQ(other.protocol, "");
  auto none = handshake(tls, client);
  EXPECT_FALSE(none.client);
  EXPECT_EQ(none.protocol, "");
}

} // namespace
} // namespace es::test
