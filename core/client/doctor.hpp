#pragma once
// `eventstream doctor URL`: what stands between a client and a stream. It opens the
// stream the way a browser would (through whatever proxy or CDN is in front), publishes a
// probe when it may, and reports plain verdicts with a fix for each problem: time to the
// headers and the first event, compression or buffering that holds events back, how long
// an idle stream survives, whether the padding comment matters on this path, whether
// Last-Event-ID resumes, and whether the HTTP version limits how many streams a page can open.
#include <chrono>
#include <ostream>
#include <string>

#include "util/outgoing_http.hpp"

namespace es::client {

struct DoctorOptions {
  std::string url;         // the stream, e.g. https://example.com/events/?channel=test
  std::string publish_url; // POST /publish/ of the server behind it; empty: no probe
  std::string key;         // its --publish-key
  std::string token;       // user token for the stream (Authorization: Bearer)
  std::chrono::seconds idle{30}; // how long to watch an idle stream; 0: skip
  TlsTrust tls;            // for the stream and the probe
};

// Prints the report; returns 0 when no problem was found, else 1.
int doctor(const DoctorOptions& options, std::ostream& out);

} // namespace es::client
