// The handshakes workload: `count` new connections, `concurrency` at a time, each a full
// TLS handshake (for https://; no session is resumed) and one `GET /healthz` over
// HTTP/1.1 answered 200, then closed. In the clear it is the same without the handshake,
// so the two runs side by side show what TLS costs a new client.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "url.hpp"

namespace loadgen {

struct HandshakeResult {
  std::uint64_t completed = 0, failed = 0;
  double seconds = 0; // from the first connect to the last answer
  std::vector<std::uint32_t> latency_us; // connect to answer, each completed one
  std::map<std::string, int> reasons; // why they failed
};

// Spreads the connections over 127.0.0.1..`sources` (ports in TIME_WAIT stay taken for a
// minute) and `threads` threads; stops after `timeout_seconds` whatever is done.
HandshakeResult run_handshakes(const Url& url, int count, int concurrency, int sources, int threads,
                               double timeout_seconds);

} // namespace loadgen
