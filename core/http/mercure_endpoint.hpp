#pragma once
// The Mercure hub's HTTP side (docs/mercure.md): at --mercure-path, GET subscribes, POST
// publishes, OPTIONS answers CORS preflights; below it, /subscriptions is the active
// subscriptions API. What needs storage or the publisher (where a subscriber resumes, a
// commit) is finished by the exchange, which owns the connection.
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "http/responses.hpp"
#include "mercure/history.hpp"
#include "mercure/mercure_hub.hpp"
#include "publish/publisher.hpp"
#include "stream/stream_request.hpp"
#include "util/url.hpp"

namespace es::http {

// Whether `path` is the hub's: its path or below it.
bool is_mercure_path(const mercure::MercureHub& hub, std::string_view path);

// A subscription accepted, before the exchange places it: the plan has its channel,
// subscription, headers (but not yet Last-Event-ID's) and announcement.
struct MercureStream {
  stream::StreamPlan plan;
  std::optional<std::string> last_event_id; // asked for: the exchange resolves it (mercure/history.hpp)
};

// GET at the hub's path. A refusal is a complete answer (400, 401, 403).
std::variant<MercureStream, Response> plan_mercure_stream(const Request& req, const QueryParams& query,
                                                          mercure::MercureHub& hub, publish::Publisher& publisher);

// Completes `stream`'s plan with where it resumes and the answer's Last-Event-ID.
void place_mercure_stream(MercureStream& stream, const mercure::Resumption& resumption);

// POST at the hub's path; `reply` runs once, on some thread.
void handle_mercure_publish(const Request& req, const QueryParams& query, const mercure::MercureHub& hub,
                            publish::Publisher& publisher, std::function<void(Response)> reply);

// GET below the hub's path.
Response mercure_subscriptions(const Request& req, std::string_view raw_path, const QueryParams& query,
                               const mercure::MercureHub& hub);

// OPTIONS at the hub's paths, and the 405 for any other method.
Response mercure_preflight(const Request& req, const mercure::MercureHub& hub);

} // namespace es::http
