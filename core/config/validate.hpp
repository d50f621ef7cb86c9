#pragma once
// The rules between `serve` options, written once: each option is checked alone where it
// is parsed, and what only a combination can get wrong is checked here, before anything
// starts.
#include <string>
#include <vector>

#include "config/server_config.hpp"

namespace es::config {

// Throws std::invalid_argument naming the options that conflict and what to give instead.
void validate(const ServerConfig& config);

// Combinations that run but are likely not what was meant, one log line each.
// `verifies_grip_sig`: there is a key to check Grip-Sig with (--grip-sig-key, or a
// --grip-url's key=), which takes parsing the URLs.
std::vector<std::string> warnings(const ServerConfig& config, bool verifies_grip_sig);

// "sqlite", "memory", "redis" or "none", as --storage spells it.
std::string storage_name(ServerConfig::Storage storage);

} // namespace es::config
