#pragma once
// Namespaces of a test's own (Linux, CAP_SYS_ADMIN), for faults that cannot be made
// otherwise without touching the machine. Each is entered by the calling thread, and so
// by the servers and threads it starts afterwards, until the object goes; entered() says
// whether that worked (tests skip when it did not).
#include <cstddef>
#include <string>

namespace es::test {

// A network namespace with only loopback up. Its TCP settings are its own: a test can
// cap the kernel's socket buffers there without touching the machine's (ten thousand
// stalled streams each keeping megabytes queued in the kernel would press on every TCP
// connection of the host).
class PrivateNetwork {
public:
  PrivateNetwork();
  ~PrivateNetwork();
  PrivateNetwork(const PrivateNetwork&) = delete;
  PrivateNetwork& operator=(const PrivateNetwork&) = delete;

  bool entered() const { return entered_; }
  const std::string& why_not() const { return why_not_; } // when not entered

  // Writes /proc/sys/net/<name> of this namespace, e.g. ("ipv4/tcp_wmem", "4096 16384 16384").
  void set(const std::string& name, const std::string& value);

private:
  int original_ = -1; // the namespace to go back to
  bool entered_ = false;
  std::string why_not_;
};

// A mount namespace whose mounts stay in it (and vanish with it): a small tmpfs is a
// disk that really fills up (ENOSPC). The process must have no other thread yet.
class PrivateMounts {
public:
  PrivateMounts();
  ~PrivateMounts();
  PrivateMounts(const PrivateMounts&) = delete;
  PrivateMounts& operator=(const PrivateMounts&) = delete;

  bool entered() const { return entered_; }
  const std::string& why_not() const { return why_not_; }

  // A tmpfs of `bytes` on the existing directory `dir`; throws if refused.
  void mount_tmpfs(const std::string& dir, std::size_t bytes);

private:
  int original_ = -1;
  bool entered_ = false;
  std::string why_not_;
};

} // namespace es::test
