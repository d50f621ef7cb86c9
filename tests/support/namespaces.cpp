#include "support/namespaces.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
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

PrivateMounts::PrivateMounts() {
  original_ = ::open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (original_ < 0 || ::unshare(CLONE_NEWNS) != 0) {
    why_not_ = std::string("cannot make a mount namespace (needs CAP_SYS_ADMIN and a single thread): ") +
               std::strerror(errno);
    return;
  }
  entered_ = true;
  // Mounts made here must not propagate back to the machine's namespace.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    throw std::runtime_error(std::string("cannot make the mounts private: ") + std::strerror(errno));
}

PrivateMounts::~PrivateMounts() {
  if (entered_) ::setns(original_, CLONE_NEWNS);
  if (original_ >= 0) ::close(original_);
}

void PrivateMounts::mount_tmpfs(const std::string& dir, std::size_t bytes) {
  std::string options = "size=" + std::to_string(bytes);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0)
    throw std::runtime_error("cannot mount a tmpfs on " + dir + ": " + std::strerror(errno));
}

} // namespace es::test
