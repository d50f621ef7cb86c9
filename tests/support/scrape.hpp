#pragma once
// Reading the server's /metrics as an operator's scraper does.
#include <string>

#include "support/server_process.hpp"

namespace es::test {

// The value of the sample `series` (a name with its labels, e.g.
// eventstream_http2_connections_closed_total{bound="stalled"}); -1 when it is absent.
double metric(const ServerProcess& server, const std::string& series);

} // namespace es::test
