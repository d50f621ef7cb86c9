#include "stream/reconnect_delay.hpp"

#include <random>

namespace es::stream {

std::chrono::milliseconds reconnect_delay(std::chrono::milliseconds base) {
  thread_local std::minstd_rand random{std::random_device{}()};
  if (base.count() <= 0) return base;
  std::uniform_int_distribution<long long> jitter(0, base.count());
  return base + std::chrono::milliseconds(jitter(random));
}

} // namespace es::stream
