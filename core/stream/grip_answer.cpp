#include "stream/grip_answer.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "grip/instructions.hpp"
#include "grip/link_meta.hpp"
#include "sse/encoder.hpp"
#include "stream/stream_position.hpp"
#include "util/log.hpp"
#include "util/url.hpp"

namespace es::stream {

namespace bhttp = boost::beast::http;
using http::add_headers;
using http::text_response;
namespace {

constexpr std::int64_t link_lifetime = 3600; // seconds; the proxy fetches links far more often
// How long the proxy waits on an idle stream before it fetches the link (Pushpin's
// default): a token that expires sooner shortens the wait, so the stream ends on time.
constexpr std::int64_t link_timeout = 120;

// The request's path and query, re-encoded, with our link parameters set. The proxy
// resolves it against the client's URL and fetches it through its own routing.
std::string next_link(const Request& req, const StreamPlan& plan, const StreamContext& context,
                      const StreamPosition& position, bool more, std::optional<std::int64_t> deadline) {
  std::string_view target = req.target();
  auto q = target.find('?');
  // The path as this server read it, encoded afresh: what the client typed (a '>', a
  // ';') cannot end the URI or add a parameter to the Link value.
  std::string link = percent_encode(split_target(target).path, "/");
  link += '?';
  for (const auto& [key, value] : parse_query(q == std::string_view::npos ? std::string_view{} : target.substr(q + 1))) {
    if (key == "link" || key == "recover" || key == "es-meta" || is_last_event_id_key(key)) continue;
    link += percent_encode(key, "") + "=" + percent_encode(value, "") + "&";
  }
  link += "link=next&";
  if (more) {
    std::string id;
    position.append_position(id);
    link += "lastEventId=" + percent_encode(id, "") + "&";
  } else {
    link += "recover=true&";
  }
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  grip::LinkMeta meta{plan.channels, plan.user.id, plan.user.expires, now + link_lifetime};
  if (deadline) meta.expires = std::min(meta.expires, *deadline);
  link = "<" + link + "es-meta=" + grip::sign_link_meta(meta, context.link_secret) + ">; rel=next";
  if (deadline && *deadline - now < link_timeout)
    link += "; timeout=" + std::to_string(std::max<std::int64_t>(1, *deadline - now));
  return link;
}

} // namespace

Response grip_answer(const Request& req, const StreamPlan& plan, const StreamContext& context) {
  StreamPosition position(plan.channels, context.reliable, context.storage != nullptr);
  std::string body;
  if (!plan.next_link) body += sse::stream_preamble();
  auto add_reset = [&](const std::vector<std::string>& channels) {
    body += sse::stream_reset_head();
    position.append_id_line(body);
    body += sse::stream_reset_body(channels);
  };
  try {
    auto reset = position.stored_count()
                     ? position.place(plan.resume, read_ranges(*context.storage, position.stored_channels()))
                     : std::vector<std::string>{};
    if (!reset.empty()) add_reset(reset);
    auto reads = position.next_page();
    auto results = reads.empty() ? std::vector<PageResult>{} : read_page(*context.storage, reads);
    std::vector<std::string> trimmed;
    position.apply_page(
        reads, results,
        [&](const Cursor&, storage::StoredEvent& event) {
          if (plan.user.listed_in(event.skip_users)) return;
          body += sse::event_head(event.type);
          position.append_id_line(body);
          body += sse::event_body(event.data);
        },
        trimmed);
    if (!trimmed.empty()) add_reset(trimmed);
  } catch (const std::exception& e) {
    log(LogLevel::error, "proxied stream " + redacted_target(req.target()) + " cannot read storage: " + e.what());
    return stream_error_response(req, context, "internal-error", "Storage is unavailable; try again later.");
  }
  // More pages: the proxy writes this one and fetches the link at once for the next.
  bool more = position.any_behind();

  std::vector<grip::HeldChannel> held;
  for (const auto& cursor : position.cursors())
    held.push_back({cursor.encoded, cursor.stored ? std::optional(cursor.delivered) : std::nullopt});

  // Stored channels subscribe with build-id, which reads every '%' the proxy passes on.
  Response res = text_response(req, bhttp::status::ok, position.stored_count() ? grip::escape_build_id(body) : body,
                               "text/event-stream");
  if (!more) res.set("Grip-Hold", "stream");
  res.set("Grip-Channel", grip::channel_header(held, plan.user.id));
  if (!more) {
    res.set("Grip-Keep-Alive", grip::keep_alive_header(sse::keep_alive(), context.config.keep_alive));
    res.set("Grip-Set-Meta", grip::set_meta_header(held, plan.user.id));
  }
  std::optional<std::int64_t> deadline;
  if (auto at = context.access.stream_deadline(plan.user)) deadline = std::chrono::system_clock::to_time_t(*at);
  res.set("Grip-Link", next_link(req, plan, context, position, more, deadline));
  add_headers(res, context.stream_headers);
  return res;
}

} // namespace es::stream
