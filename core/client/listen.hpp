#pragma once
// `eventstream listen`: a command-line subscriber. It prints each event as it arrives,
// reconnects after a break and resumes from the last id, and stops at a stream-error
// (exit 1), after --count events or at --timeout.
#include <chrono>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "util/outgoing_http.hpp"

namespace es::client {

struct ListenOptions {
  std::string url;         // the stream URL
  bool json = true;        // NDJSON; else readable lines
  std::optional<std::size_t> count;
  std::optional<std::chrono::milliseconds> timeout;
  std::string token;       // sent as Authorization: Bearer
  std::string last_event_id;
  TlsTrust tls;
};

// `targets` is one URL, or channel names streamed from `base_url`'s /events/.
std::string stream_url(const std::vector<std::string>& targets, const std::string& base_url);

// Returns the exit code: 0 when --count events came or --timeout passed (without a
// --count), 1 on a stream-error, a refusal that retrying cannot fix, or too few events.
int listen(const ListenOptions& options, std::ostream& out, std::ostream& err);

} // namespace es::client
