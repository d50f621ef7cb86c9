#include "support/publish.hpp"

#include <stdexcept>

namespace es::test {

HttpResponse publish_body(const ServerProcess& server, const std::string& body, const Headers& headers) {
  Headers all = headers;
  all.emplace_back("Content-Type", "application/json");
  return http_request(server.host(), server.port(), "POST", "/publish/", all, body);
}

void publish(const ServerProcess& server, const std::string& channel, const std::string& type,
             const std::string& data) {
  auto res = publish_body(server, R"({"channel": ")" + channel + R"(", "type": ")" + type + R"(", "data": )" + data + "}");
  if (res.status != 200) throw std::runtime_error("publish failed: " + std::to_string(res.status) + " " + res.body);
}

} // namespace es::test

namespace es::test {

std::string numbered_batch(const std::string& channel, int first, int count) {
  std::string body = R"({"items": [)";
  for (int n = first; n < first + count; ++n)
    body += std::string(n > first ? ", " : "") + R"({"channel": ")" + channel + R"(", "type": "n", "data": )" +
            std::to_string(n) + "}";
  return body + "]}";
}

std::string sized_batch(const std::string& channel, int count, std::size_t data_bytes) {
  const std::string data(data_bytes, 'x');
  std::string body = R"({"items": [)";
  for (int i = 0; i < count; ++i)
    body += std::string(i ? ", " : "") + R"({"channel": ")" + channel + R"(", "type": "e", "data": ")" + data + "\"}";
  return body + "]}";
}

} // namespace es::test
