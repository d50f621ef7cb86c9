#pragma once
// The client side of the publish and kick API (`eventstream send`, `eventstream kick`):
// builds the request bodies and sends them with libcurl to a running server.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "util/outgoing_http.hpp"

namespace es::client {

struct OutgoingEvent {
  std::string channel;
  std::string type;
  std::string data; // JSON text, or the raw string when `raw`
  bool raw = false;
  std::vector<std::string> skip_users;
};

// Invalid input (exit code 2) or a failure to get it published (exit code 1).
class SendError : public std::runtime_error {
public:
  SendError(const std::string& message, int exit_code) : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

private:
  int exit_code_;
};

// Throws SendError (exit 2) when `json` is not one valid JSON value.
void check_json(std::string_view json, std::string_view what);

// One NDJSON line {"channel": .., "type": .., "data": .., "raw"?: ..}; `type` defaults to
// "message". Throws SendError (exit 2) naming the line.
OutgoingEvent parse_event_line(std::string_view line, std::size_t line_number);

// Publishes straight to a GRIP proxy (GRIP_URL form), without an eventstream server: live
// only, no ids, so only to channels the servers do not store: on a stored channel (one
// `reliable` matches) the proxy holds streams with a prev-id and drops an item without
// one ("last ID inconsistency"), whatever its no-seq. Throws SendError (1 when the proxy
// refuses or is unreachable, 2 for a bad URL or event, or a stored channel).
void publish_to_grip(const std::string& grip_url, const std::vector<OutgoingEvent>& events,
                     const std::vector<std::string>& reliable);

class PublishClient {
public:
  PublishClient(std::string base_url, std::string key, TlsTrust trust = {});
  ~PublishClient();
  PublishClient(const PublishClient&) = delete;
  PublishClient& operator=(const PublishClient&) = delete;

  // Publishes the batch in one request. Returns each event's id ("chan:N"), or nullopt
  // for an event the server delivered live without storing it.
  std::vector<std::optional<std::string>> publish(const std::vector<OutgoingEvent>& events);

  // Asks the server to re-check `user` on `channel`; returns how many streams it ended.
  std::uint64_t kick(const std::string& user, const std::string& channel);

private:
  rapidjson::Document post(const std::string& path, const std::string& body);

  std::string base_url_;
  std::string key_;
  TlsTrust trust_;
  void* curl_;
};

} // namespace es::client
