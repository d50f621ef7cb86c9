#pragma once
// ngrok's local agent API (docs/protocol.md §15): which public URLs tunnel to this machine, and
// which of them a GRIP proxy should use to reach the server about to start.
#include <string>
#include <vector>

namespace es::grip {

struct Tunnel {
  std::string name;
  std::string proto;      // "http" and "https" are used; others ("tcp") are not
  std::string public_url; // "https://abc123.ngrok.io"
  std::string addr;       // where it forwards: "http://localhost:8000", "localhost:8000", "8000"
};

// GET <api>/api/tunnels. Throws std::runtime_error saying what went wrong: nothing
// listening (suggesting `ngrok http <port>`), an error status, or a body that is not
// ngrok's tunnel list.
std::vector<Tunnel> list_tunnels(const std::string& api, unsigned short port);

// Where the proxy should send requests: the http and https ends of one public host.
struct Origin {
  std::string host; // from an http tunnel; empty when there is none
  int port = 0;
  std::string ssl_host; // from an https tunnel
  int ssl_port = 0;
  std::string choice; // which tunnels, and why, for the user
  const std::string& name() const { return host.empty() ? ssl_host : host; }
};

// Prefers tunnels that forward to `port`, an https one first, and takes the http and
// https tunnels of its host. Throws std::runtime_error("no ngrok tunnels found").
Origin choose_origin(const std::vector<Tunnel>& tunnels, unsigned short port);

} // namespace es::grip
