#pragma once
// Certificates for the TLS tests, made at test time with the `openssl` command (Debian's
// openssl package), so that no key is ever committed and the server's own code is not
// what makes the certificates it is tested with.
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace es::test {

struct CertificateFiles {
  std::string cert; // PEM: the certificate, then its issuer's when it has one
  std::string key;  // PEM, unencrypted
};

// A CA that can issue certificates (make_certificate's `issuer`).
CertificateFiles make_ca(const TempDir& dir, const std::string& name);

// A certificate for localhost, 127.0.0.1 and ::1 with a fresh EC P-256 key, written to
// NAME.crt and NAME.key in `dir`: self-signed, or issued by `issuer` (then NAME.crt holds
// the chain). With `expired`, its validity ended a day before it began.
CertificateFiles make_certificate(const TempDir& dir, const std::string& name,
                                  const CertificateFiles* issuer = nullptr, bool expired = false);

// "AB:CD:..." of the certificate first in `cert_file`, as `openssl x509 -fingerprint -sha256` says it.
std::string sha256_fingerprint(const std::string& cert_file);

// SHA-256 of the certificate the TLS server at host:port presents to a new connection
// now, as `openssl s_client` receives it.
std::string served_fingerprint(const std::string& host, int port);

// Runs `openssl ARGS...`; throws std::runtime_error with its output when it fails.
std::string run_openssl(const std::vector<std::string>& args, const std::string& stdin_text = "");

} // namespace es::test
