#include "redis/redis_url.hpp"

#include <charconv>
#include <stdexcept>

#include "util/url.hpp"

namespace es::redis {
namespace {

int number(std::string_view text, std::string_view url, const char* what, int max) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max)
    throw std::invalid_argument("Redis URL " + redacted_url(url) + ": '" + std::string(text) + "' is not a " + what);
  return value;
}

} // namespace

std::string Endpoint::describe() const {
  std::string where = socket_path.empty() ? "redis://" + host + ":" + std::to_string(port) : "unix://" + socket_path;
  return where + (db ? "/" + std::to_string(db) : "");
}

Endpoint parse_redis_url(std::string_view url) {
  Endpoint endpoint;
  bool unix_socket = url.starts_with("unix://");
  if (!url.starts_with("redis://") && !unix_socket)
    throw std::invalid_argument("Redis URL '" + redacted_url(url) +
                                "' is not redis://[:PASSWORD@]HOST[:PORT][/DB], unix://[:PASSWORD@]/PATH[?db=N] or "
                                "redis-cluster://[:PASSWORD@]HOST:PORT[,HOST:PORT...]");
  std::string_view rest = url.substr(url.find("://") + 3);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = credentials.find(':');
    endpoint.user = percent_decode(credentials.substr(0, colon));
    if (colon != std::string_view::npos) endpoint.password = percent_decode(credentials.substr(colon + 1));
  }
  if (unix_socket) {
    if (!rest.starts_with("/"))
      throw std::invalid_argument("Redis URL " + redacted_url(url) + ": the socket path must be absolute");
    endpoint.host.clear();
    endpoint.socket_path = percent_decode(rest);
  } else {
    auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos && slash + 1 < rest.size())
      endpoint.db = number(rest.substr(slash + 1), url, "database number", 1 << 20);
    if (authority.starts_with("[")) { // [IPv6]:port
      auto close = authority.find(']');
      if (close == std::string_view::npos || close == 1)
        throw std::invalid_argument("Redis URL " + redacted_url(url) + ": an IPv6 host is written [ADDRESS], closed by ']'");
      endpoint.host = std::string(authority.substr(1, close - 1));
      authority = authority.substr(close + 1);
      if (!authority.empty() && !authority.starts_with(":"))
        throw std::invalid_argument("Redis URL " + redacted_url(url) + ": after ']' comes ':PORT' or nothing");
      if (!authority.empty()) endpoint.port = static_cast<unsigned short>(number(authority.substr(1), url, "port", 65535));
    } else {
      auto colon = authority.find(':');
      if (!authority.substr(0, colon).empty()) endpoint.host = std::string(authority.substr(0, colon));
      if (colon != std::string_view::npos)
        endpoint.port = static_cast<unsigned short>(number(authority.substr(colon + 1), url, "port", 65535));
    }
  }
  for (const auto& [key, value] : parse_query(query)) {
    if (key == "db") endpoint.db = number(value, url, "database number", 1 << 20);
    else if (key == "password") endpoint.password = value;
    else throw std::invalid_argument("Redis URL " + redacted_url(url) + ": unknown parameter '" + key + "'");
  }
  return endpoint;
}

std::string Target::describe() const {
  if (!cluster) return seeds.front().describe();
  std::string where = "redis-cluster://";
  for (const auto& seed : seeds) where += (&seed == &seeds.front() ? "" : ",") + seed.host + ":" + std::to_string(seed.port);
  return where;
}

// Each node is read as a redis:// URL with the cluster's credentials and query.
Target parse_redis_target(std::string_view url) {
  constexpr std::string_view scheme = "redis-cluster://";
  if (!url.starts_with(scheme)) return {{parse_redis_url(url)}, false};
  std::string_view rest = url.substr(scheme.size());
  std::string_view query, credentials;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q);
    rest = rest.substr(0, q);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    credentials = rest.substr(0, at + 1);
    rest = rest.substr(at + 1);
  }
  Target target{{}, true};
  while (true) {
    auto comma = rest.find(',');
    std::string_view node = rest.substr(0, comma);
    if (node.empty() || node.find('/') != std::string_view::npos)
      throw std::invalid_argument("Redis URL " + redacted_url(url) +
                                  ": a cluster is HOST:PORT nodes separated by ',' (no database: a cluster has only 0)");
    target.seeds.push_back(parse_redis_url("redis://" + std::string(credentials) + std::string(node) + std::string(query)));
    if (target.seeds.back().db != 0)
      throw std::invalid_argument("Redis URL " + redacted_url(url) + ": a cluster has only database 0");
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return target;
}

} // namespace es::redis
