#pragma once
// A token bucket: `burst` at once, given back at `per_second`. What an HTTP/2 client may
// send of a kind of frame that costs the server work but carries no request (resets,
// pings, settings): a browser's bursts pass, a flood runs dry.
#include <algorithm>
#include <chrono>

namespace es::http2 {

class RateBudget {
public:
  using Clock = std::chrono::steady_clock;

  RateBudget(double burst, double per_second) : burst_(burst), per_second_(per_second), tokens_(burst) {}

  // Takes one token; false when there is none left.
  bool take(Clock::time_point now) {
    double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + seconds * per_second_);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

private:
  double burst_;
  double per_second_;
  double tokens_;
  Clock::time_point last_ = Clock::now();
};

} // namespace es::http2
