#pragma once
// The checks a stream request passes before it becomes a stream (docs/protocol.md §4, §6): whether it
// resumes after a stream-error, its channels, and where it resumes from.
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/access.hpp"
#include "stream/stream_context.hpp"
#include "http/header_list.hpp"
#include "http/responses.hpp"
#include "mercure/subscription.hpp"
#include "sse/event_id.hpp"
#include "util/url.hpp"

namespace es::stream {

// The stream domain speaks HTTP semantics (a request, a complete response); only the
// transports in http/ know the wire.
using http::Request;
using http::Response;

struct StreamPlan {
  std::vector<std::string> channels;
  sse::Position resume; // positions the client gave, for channels of this stream only
  auth::User user;
  bool proxied = false;    // a GRIP proxy asks: the answer is instructions to hold the stream
  bool next_link = false;  // ... following our Grip-Link: the stream is open already
  bool authorized = false; // channels and user come from our signed link: asked before
  // A Mercure stream (http/mercure_endpoint.cpp): routed by its subscription's selectors,
  // it speaks Mercure's SSE (no events of our own: comments instead).
  std::shared_ptr<const mercure::Subscription> mercure;
  http::HeaderList headers;  // of the answer; empty: the context's stream headers
  std::shared_ptr<void> held; // kept for the stream's life (its presence, with subscription events)
};

// lastEventId, or the last_event_id / last-event-id spellings other servers use.
bool is_last_event_id_key(std::string_view key);

// The Last-Event-ID header wins; otherwise the last non-empty lastEventId query value.
std::string_view pick_last_event_id(std::string_view header, const QueryParams& query);

// A StreamPlan, or the complete response that refuses the request. `proxied`: the
// request came through a GRIP proxy (a Grip-Sig that verifies); its follow-ups of our
// Grip-Link take channels and user from the link's es-meta and, with recover=true, the
// position from Grip-Last (docs/protocol.md §11).
std::variant<StreamPlan, Response> plan_stream(const Request& req, std::vector<std::string> channels,
                                               const QueryParams& query, const StreamContext& context, bool proxied);

// Whether the application picks the channels of this request (--channels-url): every
// stream request but a GRIP proxy's follow-up of our Grip-Link, whose es-meta names them.
bool maps_channels(const QueryParams& query, bool proxied);

// The user the request's token names (anonymous without one), or the forbidden
// stream-error, naming `channels`, that refuses a bad token: plan_stream's rule, which
// the channel mapping applies before it asks the application.
std::variant<auth::User, Response> identify_user(const Request& req, const QueryParams& query,
                                                 const StreamContext& context,
                                                 const std::vector<std::string>& channels = {});

// The forbidden stream-error that lists the channels denied.
Response forbidden_response(const Request& req, const StreamContext& context, const std::vector<std::string>& denied);

// A 200 text/event-stream response holding one stream-error event.
Response stream_error_response(const Request& req, const StreamContext& context, std::string_view condition,
                               std::string_view text, const std::vector<std::string>& channels = {});

} // namespace es::stream
