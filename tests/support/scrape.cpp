#include "support/scrape.hpp"

#include <sstream>

#include "support/http_client.hpp"

namespace es::test {

double metric(const ServerProcess& server, const std::string& series) {
  auto res = http_request(server.host(), server.port(), "GET", "/metrics");
  std::istringstream lines(res.body);
  for (std::string line; std::getline(lines, line);)
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  return -1;
}

} // namespace es::test
