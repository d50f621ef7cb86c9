#pragma once
// When a client should come back: `base` plus up to as much again, at random, so that
// the thousands of clients a restart or an overload sends away do not all return in the
// same second (SSE `retry:` and Retry-After).
#include <chrono>

namespace es::stream {

std::chrono::milliseconds reconnect_delay(std::chrono::milliseconds base);

} // namespace es::stream
