#include "support/private_network.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace es::test {

PrivateNetwork::PrivateNetwork() {
  // The thread's own namespace (not the process's), since unshare() moves only this thread.
  original_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_ < 0 || ::unshare(CLONE_NEWNET) != 0) {
    why_not_ = std::string("cannot make a network namespace (needs CAP_SYS_ADMIN): ") + std::strerror(errno);
    return;
  }
  entered_ = true;
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq loopback{};
  std::strncpy(loopback.ifr_name, "lo", IFNAMSIZ - 1);
  loopback.ifr_flags = IFF_UP | IFF_RUNNING;
  bool up = fd >= 0 && ::ioctl(fd, SIOCSIFFLAGS, &loopback) == 0;
  int err = errno;
  if (fd >= 0) ::close(fd);
  if (!up) throw std::runtime_error(std::string("cannot bring loopback up in a new network namespace: ") + std::strerror(err));
}

PrivateNetwork::~PrivateNetwork() {
  if (entered_) ::setns(original_, CLONE_NEWNET);
  if (original_ >= 0) ::close(original_);
}

void PrivateNetwork::set(const std::string& name, const std::string& value) {
  std::ofstream file("/proc/sys/net/" + name);
  file << value << "\n";
  file.close();
  if (!file) throw std::runtime_error("cannot set /proc/sys/net/" + name + " to " + value);
}

} // namespace es::test
