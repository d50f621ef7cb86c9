#include "support/redis_cluster.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "support/pushpin_process.hpp"

namespace es::test {
namespace {

std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  ::pclose(pipe);
  return out;
}

} // namespace

RedisCluster::RedisCluster(int primaries, int replicas) : primaries_(primaries) {
  for (int i = 0; i < primaries * (1 + replicas); ++i)
    nodes_.push_back(std::make_unique<RedisProcess>(
        "", std::vector<std::string>{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                                     "--cluster-node-timeout", "1000", "--appendfsync", "everysec",
                                     // Not the port + 10000 of the default: that may be past 65535, or taken.
                                     "--cluster-port", std::to_string(free_port())}));
  std::string create = "redis-cli --cluster create";
  for (const auto& node : nodes_) create += " 127.0.0.1:" + std::to_string(node->port());
  create += " --cluster-replicas " + std::to_string(replicas) + " --cluster-yes 2>&1";
  std::string out = run_command(create);
  if (out.find("[OK] All 16384 slots covered") == std::string::npos)
    throw std::runtime_error("redis-cli --cluster create failed: " + out);
  for (const auto& node : nodes_) wait_until_ok(node->port());
}

std::string RedisCluster::url() const {
  std::string url = "redis-cluster://";
  for (int i = 0; i < primaries_; ++i) url += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(nodes_[i]->port());
  return url;
}

std::string RedisCluster::cli(int port, const std::string& arguments) const {
  return run_command("redis-cli -p " + std::to_string(port) + " " + arguments + " 2>&1");
}

void RedisCluster::wait_until_ok(int port) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (cli(port, "cluster info").find("cluster_state:ok") == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the Redis Cluster node on port " + std::to_string(port) + " is not ok within 20 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int RedisCluster::primary_port_of(const std::string& key) const {
  for (const auto& node : nodes_) {
    if (!node->running()) continue;
    // "MOVED <slot> 127.0.0.1:<port>" from any other node; the owner answers the key.
    std::string out = cli(node->port(), "cluster keyslot " + key);
    std::string owner = cli(node->port(), "cluster nodes");
    int slot = std::stoi(out);
    // Each line: id addr@bus flags master-id ping pong epoch state slot-ranges...
    std::size_t at = 0;
    while (at < owner.size()) {
      std::size_t end = owner.find('\n', at);
      std::string line = owner.substr(at, end - at);
      at = end == std::string::npos ? owner.size() : end + 1;
      if (line.find("master") == std::string::npos || line.find("fail") != std::string::npos) continue;
      std::size_t field = 0, from = 0;
      std::string address;
      bool holds = false;
      while (from < line.size()) {
        std::size_t to = line.find(' ', from);
        std::string word = line.substr(from, to - from);
        from = to == std::string::npos ? line.size() : to + 1;
        if (field == 1) address = word.substr(0, word.find('@'));
        if (field >= 8) {
          auto dash = word.find('-');
          int first = std::stoi(word), last = dash == std::string::npos ? first : std::stoi(word.substr(dash + 1));
          holds = holds || (slot >= first && slot <= last);
        }
        ++field;
      }
      if (holds) return std::stoi(address.substr(address.rfind(':') + 1));
    }
    throw std::runtime_error("no primary holds slot " + std::to_string(slot) + ":\n" + owner);
  }
  throw std::runtime_error("no node of the cluster runs");
}

int RedisCluster::move_slot_of(const std::string& key, const std::function<void()>& midway) {
  auto trimmed = [](std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  };
  int from = primary_port_of(key), to = 0;
  for (int i = 0; i < primaries_ && !to; ++i)
    if (nodes_[i]->running() && nodes_[i]->port() != from) to = nodes_[i]->port();
  std::string slot = trimmed(cli(from, "cluster keyslot '" + key + "'"));
  std::string from_id = trimmed(cli(from, "cluster myid")), to_id = trimmed(cli(to, "cluster myid"));
  cli(to, "cluster setslot " + slot + " importing " + from_id);
  cli(from, "cluster setslot " + slot + " migrating " + to_id);
  std::string keys = cli(from, "cluster getkeysinslot " + slot + " 1000");
  std::string list;
  for (std::size_t at = 0; at < keys.size();) {
    std::size_t end = keys.find('\n', at);
    std::string one = keys.substr(at, end - at);
    at = end == std::string::npos ? keys.size() : end + 1;
    if (!one.empty()) list += " '" + one + "'";
  }
  if (!list.empty()) {
    std::string out = cli(from, "migrate 127.0.0.1 " + std::to_string(to) + " '' 0 5000 keys" + list);
    if (out.find("OK") == std::string::npos) throw std::runtime_error("MIGRATE failed: " + out);
  }
  midway();
  for (const auto& node : nodes_)
    if (node->running()) cli(node->port(), "cluster setslot " + slot + " node " + to_id);
  return to;
}

void RedisCluster::kill_primary_of(const std::string& key) {
  int port = primary_port_of(key);
  for (auto& node : nodes_)
    if (node->running() && node->port() == port) node->kill();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    try {
      if (primary_port_of(key) != port) break;
    } catch (const std::exception&) {
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("no replica took over from the killed primary on port " + std::to_string(port));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const auto& node : nodes_)
    if (node->running()) wait_until_ok(node->port());
}

} // namespace es::test
