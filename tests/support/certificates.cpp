#include "support/certificates.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace es::test {
namespace {

const std::string names = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1";

std::string openssl_path() {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  for (std::size_t at = 0; at <= path.size();) {
    auto end = std::min(path.find(':', at), path.size());
    auto candidate = path.substr(at, end - at) + "/openssl";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    at = end + 1;
  }
  throw std::runtime_error("the openssl command is not installed (apt-get install openssl)");
}

std::vector<std::string> new_key(const std::string& key_file) {
  return {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key_file};
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

} // namespace

std::string run_openssl(const std::vector<std::string>& args, const std::string& stdin_text) {
  auto result = run_program(openssl_path(), args, stdin_text);
  if (result.exit_code != 0) {
    std::string line = "openssl";
    for (const auto& arg : args) line += " " + arg;
    throw std::runtime_error(line + " failed:\n" + result.out + result.err);
  }
  return result.out;
}

CertificateFiles make_ca(const TempDir& dir, const std::string& name) {
  CertificateFiles ca{dir.file(name + ".crt"), dir.file(name + ".key")};
  run_openssl(std::vector<std::string>{"req", "-x509"} + new_key(ca.key) +
              std::vector<std::string>{"-out", ca.cert, "-days", "30", "-subj", "/CN=eventstream test CA " + name,
                                       "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                                       "keyUsage=critical,keyCertSign,cRLSign"});
  return ca;
}

CertificateFiles make_certificate(const TempDir& dir, const std::string& name, const CertificateFiles* issuer,
                                  bool expired) {
  CertificateFiles made{dir.file(name + ".crt"), dir.file(name + ".key")};
  if (!issuer) {
    run_openssl(std::vector<std::string>{"req", "-x509"} + new_key(made.key) +
                std::vector<std::string>{"-out", made.cert, "-days", "30", "-subj", "/CN=localhost", "-addext", names});
    // `req` takes no negative -days; signing again with one does.
    if (expired) run_openssl({"x509", "-in", made.cert, "-signkey", made.key, "-days", "-1", "-out", made.cert});
    return made;
  }
  std::string request = dir.file(name + ".csr"), extensions = dir.file(name + ".ext");
  std::ofstream(extensions) << names << "\n";
  run_openssl(std::vector<std::string>{"req", "-new"} + new_key(made.key) +
              std::vector<std::string>{"-out", request, "-subj", "/CN=localhost"});
  run_openssl({"x509", "-req", "-in", request, "-CA", issuer->cert, "-CAkey", issuer->key, "-CAcreateserial",
               "-CAserial", dir.file(name + ".srl"), "-days", expired ? "-1" : "30", "-extfile", extensions, "-out",
               made.cert});
  // The chain: the server's certificate, then its issuer's.
  std::ofstream(made.cert, std::ios::app) << read_file(issuer->cert);
  return made;
}

namespace {

std::string fingerprint_line(std::string out) {
  auto at = out.find('=');
  if (at == std::string::npos) throw std::runtime_error("openssl printed no fingerprint: " + out);
  out = out.substr(at + 1);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

} // namespace

std::string sha256_fingerprint(const std::string& cert_file) {
  return fingerprint_line(run_openssl({"x509", "-in", cert_file, "-noout", "-fingerprint", "-sha256"}));
}

std::string served_fingerprint(const std::string& host, int port) {
  // "Q" ends the session once the handshake is done.
  auto shown = run_openssl({"s_client", "-connect", host_port(host, port), "-servername", "localhost"}, "Q\n");
  auto begin = shown.find("-----BEGIN CERTIFICATE-----");
  auto end = shown.find("-----END CERTIFICATE-----");
  if (begin == std::string::npos || end == std::string::npos)
    throw std::runtime_error("openssl s_client got no certificate from " + host_port(host, port) + ":\n" + shown);
  auto pem = shown.substr(begin, end + std::string_view("-----END CERTIFICATE-----").size() - begin) + "\n";
  return fingerprint_line(run_openssl({"x509", "-noout", "-fingerprint", "-sha256"}, pem));
}

} // namespace es::test
