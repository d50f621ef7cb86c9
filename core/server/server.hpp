#pragma once
// `eventstream serve`: wires the hub, the publisher and the HTTP listener onto a pool of
// threads, and stops gracefully on SIGINT/SIGTERM.
#include "config/server_config.hpp"

namespace es::server {

// Runs until SIGINT or SIGTERM. Throws std::invalid_argument for a bad setting and
// std::runtime_error when it cannot listen, each with a message for the user.
void serve(const config::ServerConfig& config);

} // namespace es::server
