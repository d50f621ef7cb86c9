#include "redis/redis_nodes.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <thread>

#include "redis/key_slot.hpp"
#include "util/log.hpp"

namespace es::redis {
namespace {

// A redirection is one step; more in a row than this means the cluster is in flux.
constexpr int most_redirections = 5;

// MOVED and ASK: "<KIND> <slot> <host>:<port>".
struct Redirection {
  bool ask = false;
  int slot = -1;
  std::string host_port;
};

std::optional<Redirection> redirection(const Reply& reply) {
  if (reply.kind != Reply::Kind::error) return std::nullopt;
  std::string_view text = reply.text;
  bool ask = text.starts_with("ASK ");
  if (!ask && !text.starts_with("MOVED ")) return std::nullopt;
  text.remove_prefix(ask ? 4 : 6);
  auto space = text.find(' ');
  int slot = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), slot);
  if (ec != std::errc() || space == std::string_view::npos || slot < 0 || slot >= slot_count) return std::nullopt;
  return Redirection{ask, slot, std::string(text.substr(space + 1))};
}

} // namespace

// A pooled connection to one node for one call, returned afterwards.
class RedisNodes::Lease {
public:
  Lease(RedisNodes& nodes, const Endpoint& node) : nodes_(nodes), key_(node.describe()) {
    std::lock_guard lock(nodes_.mutex_);
    auto& idle = nodes_.idle_[key_];
    if (!idle.empty()) {
      connection_ = std::move(idle.back());
      idle.pop_back();
    } else {
      connection_ = std::make_unique<RedisConnection>(node);
    }
  }
  ~Lease() {
    std::lock_guard lock(nodes_.mutex_);
    nodes_.idle_[key_].push_back(std::move(connection_));
  }
  RedisConnection& operator*() { return *connection_; }

private:
  RedisNodes& nodes_;
  std::string key_;
  std::unique_ptr<RedisConnection> connection_;
};

RedisNodes::RedisNodes(Target target) : target_(std::move(target)), slot_owner_(slot_count, -1) {
  if (!target_.cluster) {
    nodes_ = target_.seeds;
    std::fill(slot_owner_.begin(), slot_owner_.end(), 0);
    mapped_ = true;
  }
}

RedisNodes::~RedisNodes() = default;

// A node named by the cluster (in MOVED or ASK from `answering`), reached with the
// credentials of the URL.
Endpoint RedisNodes::node_at(std::string_view host_port, const Endpoint& answering) {
  Endpoint node = answering;
  auto colon = host_port.rfind(':');
  std::string host(host_port.substr(0, colon == std::string_view::npos ? 0 : colon));
  if (host.size() >= 2 && host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  if (!host.empty() && host != "?") node.host = host; // else unknown: the answering node's
  unsigned port = 0;
  if (colon != std::string_view::npos) std::from_chars(host_port.data() + colon + 1, host_port.data() + host_port.size(), port);
  if (port > 65535) port = 0; // refused at connect
  node.port = static_cast<unsigned short>(port);
  return node;
}

int RedisNodes::node_index(const Endpoint& node) {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].host == node.host && nodes_[i].port == node.port) return static_cast<int>(i);
  nodes_.push_back(node);
  return static_cast<int>(nodes_.size() - 1);
}

// From the first node that answers, the primaries we knew first: a seed may be gone.
void RedisNodes::read_map() {
  std::vector<Endpoint> candidates = nodes_;
  candidates.insert(candidates.end(), target_.seeds.begin(), target_.seeds.end());
  std::string why = "no node to ask";
  for (const auto& candidate : candidates) {
    Reply slots;
    try {
      slots = RedisConnection(candidate, std::chrono::seconds(2)).run({"CLUSTER", "SLOTS"});
    } catch (const RedisError& e) {
      why = e.what();
      continue;
    }
    if (slots.kind != Reply::Kind::array) {
      why = candidate.describe() + " answered CLUSTER SLOTS with " +
            (slots.kind == Reply::Kind::error ? slots.text : std::string("no map")) +
            (slots.text.find("cluster support disabled") != std::string::npos
                 ? "; it is not a cluster node: give --redis redis://HOST:PORT" : "");
      continue;
    }
    nodes_.clear();
    std::fill(slot_owner_.begin(), slot_owner_.end(), -1);
    // Each range: first slot, last slot, then the primary [host, port, id, ...] and replicas.
    for (const auto& range : slots.elements) {
      if (range.elements.size() < 3 || range.elements[2].elements.size() < 2) continue;
      const auto& primary = range.elements[2].elements;
      Endpoint node = candidate;
      if (!primary[0].text.empty() && primary[0].text != "?") node.host = primary[0].text;
      node.port = static_cast<unsigned short>(primary[1].integer);
      int index = node_index(node);
      auto last = std::min<std::int64_t>(range.elements[1].integer, slot_count - 1);
      for (auto slot = std::max<std::int64_t>(range.elements[0].integer, 0); slot <= last; ++slot)
        slot_owner_[static_cast<std::size_t>(slot)] = index;
    }
    if (nodes_.empty()) {
      why = candidate.describe() + " knows no primary that holds slots (a cluster not created yet?)";
      continue;
    }
    mapped_ = true;
    return;
  }
  throw RedisError("cannot read the map of the Redis Cluster at " + target_.describe() + ": " + why);
}

int RedisNodes::owner_index(std::string_view key) {
  if (!mapped_) read_map();
  int index = key.empty() ? 0 : slot_owner_[key_slot(key)];
  if (index < 0 || nodes_.empty())
    throw RedisError("no primary of the Redis Cluster at " + target_.describe() + " holds the slot of " +
                     std::string(key) + " (a failover under way?); try again shortly");
  return index;
}

Endpoint RedisNodes::owner(std::string_view key) {
  std::lock_guard lock(mutex_);
  return nodes_[static_cast<std::size_t>(owner_index(key))];
}

// Those that hold a slot now: MOVED may have taken every slot of one.
std::vector<Endpoint> RedisNodes::primaries() {
  std::lock_guard lock(mutex_);
  if (!mapped_) read_map();
  std::vector<bool> holds(nodes_.size());
  for (int owner : slot_owner_)
    if (owner >= 0) holds[static_cast<std::size_t>(owner)] = true;
  std::vector<Endpoint> found;
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (holds[i]) found.push_back(nodes_[i]);
  return found;
}

void RedisNodes::forget_map() {
  std::lock_guard lock(mutex_);
  if (target_.cluster) mapped_ = false;
}

std::vector<Reply> RedisNodes::run_on(const Endpoint& node, const std::vector<Command>& commands) {
  Lease connection(*this, node);
  return (*connection).pipeline(commands);
}

std::vector<Reply> RedisNodes::run(const std::vector<Routed>& commands, int replicas) {
  std::vector<Reply> replies(commands.size());
  std::vector<std::size_t> pending(commands.size());
  for (std::size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  std::vector<std::optional<Endpoint>> ask_at(commands.size()); // a node to ask once, from ASK
  bool rerouted = false;
  for (int round = 0; !pending.empty(); ++round) {
    if (round > most_redirections)
      throw RedisError("the Redis Cluster at " + target_.describe() + " kept redirecting (" + replies[pending[0]].text +
                       "); try again when its slots settle");
    // Each node's commands, in their order.
    std::vector<std::pair<Endpoint, std::vector<std::size_t>>> shares;
    {
      std::lock_guard lock(mutex_);
      for (auto i : pending) {
        Endpoint node = ask_at[i] ? *ask_at[i] : nodes_[static_cast<std::size_t>(owner_index(commands[i].key))];
        auto share = std::find_if(shares.begin(), shares.end(),
                                  [&](const auto& s) { return s.first.host == node.host && s.first.port == node.port; });
        if (share == shares.end()) share = shares.insert(shares.end(), {node, {}});
        share->second.push_back(i);
      }
    }
    std::vector<std::size_t> again;
    bool wait_a_little = false;
    for (const auto& [node, indices] : shares) {
      std::vector<Command> pipeline;
      for (auto i : indices) {
        if (ask_at[i]) pipeline.push_back({"ASKING"});
        pipeline.push_back(commands[i].command);
      }
      if (replicas > 0) pipeline.push_back({"WAIT", std::to_string(replicas), "1000"});
      std::vector<Reply> got;
      try {
        got = run_on(node, pipeline);
      } catch (const RedisUnreachable& e) {
        // A primary gone: once its replica took over, the map names it. Each command
        // goes elsewhere once at most, so a node that stays down is an error.
        forget_map();
        if (!target_.cluster || rerouted) throw;
        rerouted = true;
        for (auto i : indices) {
          replies[i] = Reply{Reply::Kind::error, e.what(), 0, {}};
          ask_at[i].reset();
          again.push_back(i);
        }
        continue;
      } catch (const RedisError&) {
        forget_map(); // it broke after sending: whether the commands ran is unknown
        throw;
      }
      std::size_t at = 0;
      for (auto i : indices) {
        if (ask_at[i]) ++at;
        ask_at[i].reset();
        Reply& reply = got[at++];
        auto moved = redirection(reply);
        if (moved && !target_.cluster)
          throw RedisError("Redis at " + target_.describe() + " is a node of a Redis Cluster (it answered " + reply.text +
                           "); give --redis redis-cluster://HOST:PORT[,HOST:PORT...]");
        if (moved && moved->ask) {
          ask_at[i] = node_at(moved->host_port, node);
        } else if (moved) {
          std::lock_guard lock(mutex_);
          slot_owner_[static_cast<std::size_t>(moved->slot)] = node_index(node_at(moved->host_port, node));
        } else if (reply.kind == Reply::Kind::error && reply.text.starts_with("TRYAGAIN")) {
          wait_a_little = true; // keys of one call are split by a migration under way
        } else {
          replies[i] = std::move(reply);
          continue;
        }
        replies[i] = std::move(reply); // for the message, should it keep failing
        again.push_back(i);
      }
      if (replicas > 0 && got.back().kind == Reply::Kind::error)
        throw RedisError("Redis at " + node.describe() + " refused WAIT (" + got.back().text +
                         "); the write is stored on the primary, but whether a replica has it is unknown; "
                         "allow WAIT, or drop --redis-replicas");
      if (replicas > 0 && got.back().integer < replicas)
        throw RedisError("only " + std::to_string(got.back().integer) + " of " + std::to_string(replicas) +
                         " replicas of Redis at " + node.describe() + " confirmed a write within 1 s (--redis-replicas); "
                         "it is stored on the primary, but a failover now could lose it");
    }
    pending = std::move(again);
    if (wait_a_little) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return replies;
}

void RedisNodes::wait_ready(std::chrono::seconds limit) {
  if (!target_.cluster) return wait_for_redis(target_.seeds.front(), limit);
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (auto next_log = deadline - limit;;) {
    std::string why;
    try {
      std::lock_guard lock(mutex_);
      read_map();
      auto gap = std::find(slot_owner_.begin(), slot_owner_.end(), -1);
      if (gap == slot_owner_.end()) break;
      why = "slot " + std::to_string(gap - slot_owner_.begin()) + " has no primary";
    } catch (const RedisError& e) {
      why = e.what();
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      throw RedisError("the Redis Cluster at " + target_.describe() + " was not ready within " +
                       std::to_string(limit.count()) + " s (" + why + "); start it, or give it longer with --redis-wait");
    if (now >= next_log) {
      log(LogLevel::warn, "waiting for the Redis Cluster at " + target_.describe() + ": " + why);
      next_log = now + std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // Each primary may still be loading its data (LOADING).
  for (const auto& node : primaries())
    wait_for_redis(node, std::chrono::ceil<std::chrono::seconds>(
                             std::max(deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero())));
}

} // namespace es::redis
