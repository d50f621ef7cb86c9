#include "tls/server_tls.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace es::tls {
namespace {

namespace ssl = boost::asio::ssl;

template <auto Free> struct Deleter {
  template <class T> void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

// Mozilla's "intermediate" TLS 1.2 suites: forward-secret AEAD only. DHE is last, for
// the few clients without ECDHE; its group is chosen by OpenSSL (ffdhe2048 and up).
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
constexpr const char* key_groups = "X25519:prime256v1:secp384r1";

constexpr std::size_t max_file_bytes = 1 << 20; // a chain of a dozen certificates is 20 KiB

const std::string cert_fix =
    "give the server's certificate in PEM, followed by its intermediates (e.g. certbot's fullchain.pem), "
    "or use --tls-self-signed for local development";
const std::string key_fix = "give the certificate's private key in PEM (e.g. certbot's privkey.pem)";

// What OpenSSL said about its last failure; its error queue is left empty, so that no
// stale entry is blamed on the next operation of this thread.
std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  const char* reason = code ? ERR_reason_error_string(code) : nullptr;
  ERR_clear_error();
  return reason ? reason : code ? "OpenSSL error " + std::to_string(code) : "no reason given";
}

bool holds(std::string_view text, std::string_view word) { return text.find(word) != std::string_view::npos; }

// A file's bytes, wiped from memory when done with: they may be a private key.
class FileText {
public:
  FileText(const std::string& path, const std::string& flag, const std::string& fix) {
    std::string where = flag + " " + path;
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw std::runtime_error(where + " is a directory; " + fix);
    std::FILE* file = std::fopen(path.c_str(), "rb");
    int open_error = errno;
    if (!file && open_error == ENOENT) throw std::runtime_error(where + ": no such file; " + fix);
    if (!file)
      throw std::runtime_error(where + " cannot be opened (" + std::strerror(open_error) +
                               "); let the user the server runs as read it");
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0 && text_.size() <= max_file_bytes)
      text_.append(buffer, n);
    OPENSSL_cleanse(buffer, sizeof buffer);
    bool failed = std::ferror(file);
    int error = errno;
    std::fclose(file);
    if (failed) throw std::runtime_error(where + " cannot be read (" + std::strerror(error) + ")");
    if (text_.empty()) throw std::runtime_error(where + " is empty; " + fix);
    if (text_.size() > max_file_bytes)
      throw std::runtime_error(where + " is larger than 1 MiB, which no certificate or key is; " + fix);
  }
  ~FileText() { OPENSSL_cleanse(text_.data(), text_.size()); }
  FileText(const FileText&) = delete;
  FileText& operator=(const FileText&) = delete;

  std::string_view text() const { return text_; }
  BioPtr bio() const { return BioPtr(BIO_new_mem_buf(text_.data(), static_cast<int>(text_.size()))); }

private:
  std::string text_;
};

// The certificates of the file, the server's own first. Other PEM blocks (a key kept in
// the same file) are passed over.
std::vector<X509Ptr> read_certificates(const FileText& file, const std::string& where) {
  auto bio = file.bio();
  std::vector<X509Ptr> chain;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) chain.emplace_back(cert);
  unsigned long last = ERR_peek_last_error();
  bool at_end = ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  std::string reason = openssl_reason();
  if (chain.empty() && !holds(file.text(), "-----BEGIN CERTIFICATE-----")) {
    if (holds(file.text(), "PRIVATE KEY-----"))
      throw std::runtime_error(where + " holds a private key, not a certificate: are --tls-cert and --tls-key "
                                       "swapped?");
    throw std::runtime_error(where + " holds no PEM certificate (no -----BEGIN CERTIFICATE----- line); "
                                     "convert a DER one with 'openssl x509 -inform der -in FILE -out cert.pem', "
                                     "or " + cert_fix);
  }
  if (chain.empty() || !at_end)
    throw std::runtime_error(where + ": certificate " + std::to_string(chain.size() + 1) + " in the file is damaged (" +
                             reason + "); " + cert_fix);
  return chain;
}

// A passphrase cannot be typed by a server that restarts unattended: none is asked for.
int no_passphrase(char*, int, int, void*) { return -1; }

KeyPtr read_key(const FileText& file, const std::string& where) {
  auto bio = file.bio();
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  std::string reason = openssl_reason();
  if (key) return key;
  if (holds(file.text(), "ENCRYPTED"))
    throw std::runtime_error(where + " is encrypted with a passphrase, which the server has no way to ask for; "
                                     "write it out decrypted with 'openssl pkey -in FILE -out key.pem' and let "
                                     "only the server's user read it");
  if (!holds(file.text(), "PRIVATE KEY-----")) {
    if (holds(file.text(), "-----BEGIN CERTIFICATE-----"))
      throw std::runtime_error(where + " holds a certificate, not a private key: are --tls-cert and --tls-key "
                                       "swapped?");
    throw std::runtime_error(where + " holds no PEM private key (no -----BEGIN PRIVATE KEY----- line); convert a "
                                     "DER one with 'openssl pkey -inform der -in FILE -out key.pem', or " + key_fix);
  }
  throw std::runtime_error(where + " holds a private key OpenSSL cannot read (" + reason + "); " + key_fix);
}

// "2026-01-31 12:00:00 UTC"
std::string utc_text(const ASN1_TIME* time) {
  std::tm when{};
  if (ASN1_TIME_to_tm(time, &when) != 1) return "an unreadable date";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &when);
  return text;
}

void check_pair(const std::vector<X509Ptr>& chain, EVP_PKEY* key, const std::string& cert_where,
                const std::string& key_where) {
  bool matches = X509_check_private_key(chain.front().get(), key) == 1;
  ERR_clear_error();
  if (matches) return;
  for (std::size_t i = 1; i < chain.size(); ++i) {
    bool this_one = X509_check_private_key(chain[i].get(), key) == 1;
    ERR_clear_error();
    if (this_one)
      throw std::runtime_error(cert_where + ": " + key_where + " is the key of certificate " + std::to_string(i + 1) +
                               " in the file, not of the first; put the server's own certificate first, then "
                               "its intermediates");
  }
  throw std::runtime_error(key_where + " is not the key of the certificate in " + cert_where +
                           "; give the key the certificate was issued for (certbot: privkey.pem beside "
                           "fullchain.pem)");
}

void check_dates(X509* cert, const std::string& where) {
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
    throw std::runtime_error(where + " expired on " + utc_text(X509_get0_notAfter(cert)) +
                             "; renew it (certbot renew, or ask the CA that issued it)");
}

// What the server offers, in its order of preference, in ALPN's wire form.
constexpr unsigned char offered_protocols[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

int select_protocol(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                    unsigned int offered_length, void*) {
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_length, offered_protocols, sizeof offered_protocols, offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK; // neither: the handshake goes on without ALPN, and HTTP/1.1 follows
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

std::shared_ptr<ssl::context> make_context(const std::vector<X509Ptr>& chain, EVP_PKEY* key, const std::string& where) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                               SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1 || SSL_CTX_set1_groups_list(ctx, key_groups) != 1)
    throw std::runtime_error("this OpenSSL offers none of the TLS 1.2 ciphers or key exchange groups eventstream "
                             "uses (" + openssl_reason() + "); use OpenSSL 1.1.1 or newer");
  SSL_CTX_set_dh_auto(ctx, 1);
  SSL_CTX_set_alpn_select_cb(ctx, select_protocol, nullptr);
  if (SSL_CTX_use_certificate(ctx, chain.front().get()) != 1)
    throw std::runtime_error("OpenSSL refuses " + where + " (" + openssl_reason() +
                             "); use an RSA key of 2048 bits or more, or an EC key, signed with SHA-256");
  for (std::size_t i = 1; i < chain.size(); ++i)
    if (SSL_CTX_add1_chain_cert(ctx, chain[i].get()) != 1)
      throw std::runtime_error("OpenSSL refuses certificate " + std::to_string(i + 1) + " of " + where + " (" +
                               openssl_reason() + "); the intermediates must be signed with SHA-256 or better");
  if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1)
    throw std::runtime_error("OpenSSL refuses the key of " + where + " (" + openssl_reason() + ")");
  return context;
}

std::string fingerprint_of(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(cert, EVP_sha256(), digest, &length);
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string text;
  for (unsigned i = 0; i < length; ++i) {
    if (i) text += ':';
    text += hex[digest[i] >> 4];
    text += hex[digest[i] & 15];
  }
  return text;
}

void made(bool ok, const char* step) {
  if (!ok)
    throw std::runtime_error(std::string("cannot make the self-signed certificate (") + step + ": " +
                             openssl_reason() + "); give --tls-cert and --tls-key instead");
}

// For localhost only: no browser or client trusts it, and --cacert cannot name it (it is
// never written anywhere), so it is only good for --insecure and a click-through warning.
std::pair<X509Ptr, KeyPtr> make_self_signed() {
  KeyPtr key(EVP_EC_gen("P-256"));
  made(key != nullptr, "EC key");
  X509Ptr cert(X509_new());
  made(cert && X509_set_version(cert.get(), X509_VERSION_3), "certificate");
  BnPtr serial(BN_new());
  made(serial && BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
           BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())),
       "serial number");
  // Valid from an hour ago, for a client whose clock is a little behind.
  made(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) &&
           X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600),
       "validity");
  X509_NAME* name = X509_get_subject_name(cert.get());
  made(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                  reinterpret_cast<const unsigned char*>("eventstream --tls-self-signed"), -1, -1, 0) &&
           X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"),
                                      -1, -1, 0) &&
           X509_set_issuer_name(cert.get(), name) && X509_set_pubkey(cert.get(), key.get()),
       "names");
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::pair<int, const char*> extensions[] = {
      {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"}, // browsers match names here, never the CN
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_subject_key_identifier, "hash"},
  };
  for (const auto& [nid, value] : extensions) {
    ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &v3, nid, value));
    made(extension && X509_add_ext(cert.get(), extension.get(), -1), "extensions");
  }
  made(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signature");
  return {std::move(cert), std::move(key)};
}

} // namespace

ServerTls::ServerTls(const config::ServerConfig& config)
    : self_signed_(config.tls_self_signed), cert_path_(config.tls_cert), key_path_(config.tls_key) {
  if (!self_signed_ && (cert_path_.empty() || key_path_.empty()))
    throw std::invalid_argument("TLS needs --tls-cert FILE and --tls-key FILE, or --tls-self-signed");
  if (self_signed_) {
    auto [cert, key] = make_self_signed();
    std::vector<X509Ptr> chain;
    chain.push_back(std::move(cert));
    use(make_context(chain, key.get(), "the self-signed certificate"), fingerprint_of(chain.front().get()));
    return;
  }
  auto problem = reload();
  if (!problem.empty()) throw std::runtime_error(problem);
}

ServerTls::~ServerTls() = default;

std::shared_ptr<boost::asio::ssl::context> ServerTls::context() const {
  std::lock_guard lock(mutex_);
  return context_;
}

std::string ServerTls::fingerprint() const {
  std::lock_guard lock(mutex_);
  return fingerprint_;
}

std::string ServerTls::reload() {
  if (self_signed_) return "";
  try {
    std::string cert_where = "--tls-cert " + cert_path_, key_where = "--tls-key " + key_path_;
    std::vector<X509Ptr> chain;
    {
      FileText cert_file(cert_path_, "--tls-cert", cert_fix);
      chain = read_certificates(cert_file, cert_where);
    }
    FileText key_file(key_path_, "--tls-key", key_fix);
    KeyPtr key = read_key(key_file, key_where);
    check_pair(chain, key.get(), cert_where, key_where);
    check_dates(chain.front().get(), "the certificate in " + cert_where);
    use(make_context(chain, key.get(), "the certificate in " + cert_where), fingerprint_of(chain.front().get()));
    return "";
  } catch (const std::exception& e) {
    ERR_clear_error();
    return e.what();
  }
}

void ServerTls::use(std::shared_ptr<boost::asio::ssl::context> context, std::string fingerprint) {
  std::lock_guard lock(mutex_);
  context_ = std::move(context);
  fingerprint_ = std::move(fingerprint);
}

std::string_view negotiated_protocol(SSL* ssl) {
  const unsigned char* name = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl, &name, &length);
  std::string_view chosen(reinterpret_cast<const char*>(name), name ? length : 0);
  if (chosen == "h2") return "h2";
  if (chosen == "http/1.1") return "http/1.1";
  return "";
}

} // namespace es::tls
