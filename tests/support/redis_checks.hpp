#pragma once
// Checks that run the same against one Redis and a Redis Cluster (`redis_url`).
#include <string>

namespace es::test {

// A kick through one instance ends the kicked user's stream on another.
void expect_a_kick_reaches_another_instance(const std::string& redis_url);

} // namespace es::test
