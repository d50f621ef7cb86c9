#include "stream/stream_request.hpp"

#include <algorithm>
#include <chrono>

#include "auth/jwt.hpp"
#include "grip/instructions.hpp"
#include "grip/link_meta.hpp"
#include "hub/channel_name.hpp"
#include "sse/encoder.hpp"
#include "util/log.hpp"

namespace es::stream {

namespace bhttp = boost::beast::http;
using http::add_headers;
using http::text_response;

bool is_last_event_id_key(std::string_view key) {
  return key == "lastEventId" || key == "last_event_id" || key == "last-event-id";
}

std::string_view pick_last_event_id(std::string_view header, const QueryParams& query) {
  if (!header.empty()) return header;
  std::string_view picked;
  for (const auto& [key, value] : query)
    if (!value.empty() && is_last_event_id_key(key)) picked = value;
  return picked;
}

Response stream_error_response(const Request& req, const StreamContext& context, std::string_view condition,
                               std::string_view text, const std::vector<std::string>& channels) {
  Response res = text_response(req, bhttp::status::ok, sse::stream_error(condition, text, channels),
                               "text/event-stream");
  add_headers(res, context.stream_headers);
  return res;
}

Response forbidden_response(const Request& req, const StreamContext& context, const std::vector<std::string>& denied) {
  std::string list;
  for (const auto& channel : denied) list += (list.empty() ? "" : ", ") + channel;
  return stream_error_response(req, context, "forbidden", "Permission denied to channels: " + list, denied);
}

namespace {

bool has_param(const QueryParams& query, std::string_view key, std::string_view value) {
  return std::any_of(query.begin(), query.end(), [&](const auto& kv) { return kv.first == key && kv.second == value; });
}

sse::LastId client_last_id(const Request& req, const QueryParams& query) {
  return sse::parse_last_id(pick_last_event_id(req["Last-Event-ID"], query));
}

// The es-meta of our Grip-Link, or "".
std::string link_meta_of(const QueryParams& query) {
  std::string link_meta;
  for (const auto& [key, value] : query)
    if (key == "es-meta") link_meta = value;
  return link_meta;
}

// Where a proxied request resumes. Recovery gives the proxy's last ids in Grip-Last (all
// of them: 4.5.1 keeps only the first). A page link's lastEventId is the position after
// the previous page, and wins over a Last-Event-ID the proxy may repeat from the
// client's first request.
sse::LastId proxied_last_id(const Request& req, const QueryParams& query, bool next_link) {
  if (has_param(query, "recover", "true")) {
    std::vector<std::string_view> values;
    for (auto [it, end] = req.equal_range("Grip-Last"); it != end; ++it) values.push_back(it->value());
    return grip::parse_grip_last(values);
  }
  if (next_link) {
    auto from_link = pick_last_event_id({}, query);
    if (!from_link.empty()) return sse::parse_last_id(from_link);
  }
  return client_last_id(req, query);
}

// A complete, empty answer without instructions: the proxy ends the client's stream, and
// the client reconnects with its own credentials and last id.
Response end_of_held_stream(const Request& req, const StreamContext& context) {
  Response res = text_response(req, bhttp::status::ok, "", "text/event-stream");
  add_headers(res, context.stream_headers);
  return res;
}

std::variant<StreamPlan, Response> plan(const Request& req, std::vector<std::string> channels,
                                        const QueryParams& query, const StreamContext& context, bool proxied,
                                        bool next_link) {
  StreamPlan plan;
  plan.proxied = proxied;
  plan.next_link = next_link;
  auto last_id = proxied ? proxied_last_id(req, query, next_link) : client_last_id(req, query);

  // Browsers retry a stream that ended; a 400 is what makes EventSource give up.
  if (std::holds_alternative<sse::AfterStreamError>(last_id)) {
    Response res = text_response(req, bhttp::status::bad_request,
                                 "Invalid request: Can't resume session after stream-error.\n",
                                 "text/html; charset=utf-8");
    add_headers(res, context.stream_headers);
    return res;
  }

  std::string link_meta = proxied ? link_meta_of(query) : "";
  if (!link_meta.empty()) {
    try {
      auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
      auto meta = grip::read_link_meta(link_meta, context.link_secret, now);
      channels = std::move(meta.channels);
      plan.user.id = std::move(meta.user);
      plan.user.expires = meta.user_expires;
      plan.authorized = true;
    } catch (const grip::UserTokenExpired&) {
      return stream_error_response(req, context, "forbidden", "The token has expired.", channels);
    } catch (const auth::TokenError& e) {
      // Without it the stream's user is unknown: the proxy's requests carry no cookies
      // or token. Made by another instance, or before a restart, or held for an hour
      // without the proxy asking.
      log(LogLevel::warn, std::string("a GRIP link's es-meta cannot be used (") + e.what() +
                              "); ending that stream, its client reconnects with its own credentials" +
                              (std::string_view(e.what()).find("signature") != std::string_view::npos
                                   ? ". Give every instance behind the proxy the same --secret"
                                   : ""));
      return end_of_held_stream(req, context);
    }
  }

  if (channels.empty())
    return stream_error_response(req, context, "bad-request", "Invalid request: No channels specified.");
  if (channels.size() > context.config.channel_limit)
    return stream_error_response(req, context, "bad-request", "Invalid request: Channel limit exceeded.");
  for (const auto& channel : channels)
    if (auto problem = hub::channel_name_problem(channel, context.config.max_channel_length); !problem.empty())
      return stream_error_response(req, context, "bad-request", "Invalid request: " + problem + ".");
  if (std::holds_alternative<sse::BadLastId>(last_id))
    return stream_error_response(req, context, "bad-request",
                                 "Invalid request: Failed to parse Last-Event-ID or lastEventId.");

  if (!plan.authorized) {
    auto identified = identify_user(req, query, context, channels);
    if (auto* refusal = std::get_if<Response>(&identified)) return std::move(*refusal);
    plan.user = std::move(std::get<auth::User>(identified));
    std::vector<std::string> denied;
    for (const auto& channel : channels)
      if (!context.access.may_read(plan.user, channel)) denied.push_back(channel);
    if (!denied.empty()) return forbidden_response(req, context, denied);
  }

  if (auto* given = std::get_if<sse::Position>(&last_id))
    for (auto& entry : *given)
      if (std::find(channels.begin(), channels.end(), entry.first) != channels.end())
        plan.resume.push_back(std::move(entry));
  plan.channels = std::move(channels);
  return plan;
}

} // namespace

bool maps_channels(const QueryParams& query, bool proxied) {
  return !proxied || (!has_param(query, "link", "next") && link_meta_of(query).empty());
}

std::variant<auth::User, Response> identify_user(const Request& req, const QueryParams& query,
                                                 const StreamContext& context,
                                                 const std::vector<std::string>& channels) {
  auto identified = context.access.identify(req[bhttp::field::authorization], query, req[bhttp::field::cookie]);
  if (auto* refused = std::get_if<std::string>(&identified))
    return stream_error_response(req, context, "forbidden", "Invalid token: " + *refused + ".", channels);
  return std::move(std::get<auth::User>(identified));
}

std::variant<StreamPlan, Response> plan_stream(const Request& req, std::vector<std::string> channels,
                                               const QueryParams& query, const StreamContext& context, bool proxied) {
  bool next_link = proxied && has_param(query, "link", "next");
  auto planned = plan(req, std::move(channels), query, context, proxied, next_link);
  // The answer to a proxy's request for a link goes through the build-id filter of the
  // stream it holds, which reads every '%'.
  if (auto* refusal = std::get_if<Response>(&planned); refusal && next_link) {
    refusal->body() = grip::escape_build_id(refusal->body());
    refusal->prepare_payload();
  }
  return planned;
}

} // namespace es::stream
