#include "http/stream_request.hpp"

#include <algorithm>

#include "sse/encoder.hpp"

namespace es::http {

std::string_view pick_last_event_id(std::string_view header, const QueryParams& query) {
  if (!header.empty()) return header;
  std::string_view picked;
  for (const auto& [key, value] : query)
    if (!value.empty() && (key == "lastEventId" || key == "last_event_id" || key == "last-event-id")) picked = value;
  return picked;
}

Response stream_error_response(const Request& req, const SharedState& state, std::string_view condition,
                               std::string_view text, const std::vector<std::string>& channels) {
  Response res = text_response(req, bhttp::status::ok, sse::stream_error(condition, text, channels),
                               "text/event-stream");
  add_headers(res, state.stream_headers);
  return res;
}

Response forbidden_response(const Request& req, const SharedState& state, const std::vector<std::string>& denied) {
  std::string list;
  for (const auto& channel : denied) list += (list.empty() ? "" : ", ") + channel;
  return stream_error_response(req, state, "forbidden", "Permission denied to channels: " + list, denied);
}

std::variant<StreamPlan, Response> plan_stream(const Request& req, std::vector<std::string> channels,
                                               const QueryParams& query, const SharedState& state) {
  auto last_id = sse::parse_last_id(pick_last_event_id(req["Last-Event-ID"], query));

  // Browsers retry a stream that ended; a 400 is what makes EventSource give up.
  if (std::holds_alternative<sse::AfterStreamError>(last_id)) {
    Response res = text_response(req, bhttp::status::bad_request,
                                 "Invalid request: Can't resume session after stream-error.\n",
                                 "text/html; charset=utf-8");
    add_headers(res, state.stream_headers);
    return res;
  }
  if (channels.empty())
    return stream_error_response(req, state, "bad-request", "Invalid request: No channels specified.");
  if (channels.size() > state.config.channel_limit)
    return stream_error_response(req, state, "bad-request", "Invalid request: Channel limit exceeded.");
  if (std::holds_alternative<sse::BadLastId>(last_id))
    return stream_error_response(req, state, "bad-request",
                                 "Invalid request: Failed to parse Last-Event-ID or lastEventId.");

  auto identified = state.access.identify(req[bhttp::field::authorization], query, req[bhttp::field::cookie]);
  if (auto* refused = std::get_if<std::string>(&identified))
    return stream_error_response(req, state, "forbidden", "Invalid token: " + *refused + ".", channels);
  auth::User& user = std::get<auth::User>(identified);
  std::vector<std::string> denied;
  for (const auto& channel : channels)
    if (!state.access.may_read(user, channel)) denied.push_back(channel);
  if (!denied.empty()) return forbidden_response(req, state, denied);

  StreamPlan plan;
  plan.user = std::move(user);
  if (auto* given = std::get_if<sse::Position>(&last_id))
    for (auto& entry : *given)
      if (std::find(channels.begin(), channels.end(), entry.first) != channels.end())
        plan.resume.push_back(std::move(entry));
  plan.channels = std::move(channels);
  return plan;
}

} // namespace es::http
