#pragma once
// A network namespace of the test's own, with only loopback up. The calling thread enters
// it, and so do the servers and threads it starts afterwards, until the object goes.
// Its TCP settings are its own: a test can cap the kernel's socket buffers there without
// touching the machine's (ten thousand stalled streams each keeping megabytes queued in
// the kernel would press on every TCP connection of the host). Needs CAP_SYS_ADMIN.
#include <string>

namespace es::test {

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

} // namespace es::test
