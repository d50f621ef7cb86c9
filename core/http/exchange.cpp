#include "http/exchange.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <optional>
#include <random>
#include <utility>

#include <boost/asio/post.hpp>

#include "http/mercure_endpoint.hpp"
#include "http/publish_endpoint.hpp"
#include "http/web_pages.hpp"
#include "metrics/metrics.hpp"
#include "stream/grip_answer.hpp"
#include "stream/stream_request.hpp"
#include "stream/stream_session.hpp"
#include "util/log.hpp"
#include "util/url.hpp"

namespace es::http {

namespace net = boost::asio;

std::string endpoint_text(const net::ip::tcp::endpoint& ep) {
  auto address = ep.address();
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(ep.port());
}

namespace {

// An id for the access log and X-Request-Id: the client's (a proxy's) when it is a sane
// token, else 16 random hex digits.
std::string request_id_of(const Request& req) {
  auto given = req["X-Request-Id"];
  bool sane = !given.empty() && given.size() <= 64 && std::all_of(given.begin(), given.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
  if (sane) return std::string(given);
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::string hex(16, '0');
  auto bits = random();
  for (auto& digit : hex) {
    digit = "0123456789abcdef"[bits & 0xf];
    bits >>= 4;
  }
  return hex;
}

// "/events/, /rooms/{room}/events/", for the answers that say where streams are.
std::string stream_routes(const SharedState& state) {
  std::string known;
  for (const auto& r : state.routes.routes()) known += (known.empty() ? "" : ", ") + r.spec();
  return known;
}

// Where publishing is, for answers to clients: not the address of --publish-addr, which
// is meant to be private.
std::string where_publishing_is(const SharedState& state) {
  return state.config.publish_addr ? "this server's --publish-addr" : state.publish_location();
}

// The 404 for a path that the other listener serves (--publish-addr), or nothing.
std::optional<Response> refuse_served_elsewhere(const Request& req, const std::string& path, Serves serves,
                                                const SharedState& state) {
  bool publishing = path == "/publish/" || path == "/kick/";
  bool everywhere = path == "/healthz" || path == "/readyz" || path == "/metrics";
  if (serves == Serves::all_but_publishing && publishing)
    return json_error(req, bhttp::status::not_found,
                      "nothing at " + path + " here: publishing is at " + where_publishing_is(state) +
                          ", which no proxy should forward to");
  if (serves == Serves::publishing && !publishing && !everywhere)
    return json_error(req, bhttp::status::not_found,
                      "nothing at " + path + " on this address (--publish-addr), which serves /publish/, /kick/, "
                      "/metrics, /healthz and /readyz only; streams are at " + state.stream_url + " (" +
                          stream_routes(state) + ")");
  return std::nullopt;
}

Response method_not_allowed(const Request& req, std::string_view allow) {
  Response res = json_error(req, bhttp::status::method_not_allowed,
                            std::string(req.method_string()) + " is not allowed here; use " + std::string(allow));
  res.set(bhttp::field::allow, allow);
  return res;
}

} // namespace

Exchange::Exchange(SharedState& state, std::size_t shard, Serves serves, net::ip::tcp::endpoint peer)
    : state_(state), shard_(shard), serves_(serves), peer_(peer) {}

void Exchange::handle(Request& req) {
  try {
    route(req);
  } catch (const std::exception& e) {
    fail(e);
  }
}

// A bug, or a value no check foresaw: this request gets a 500 and its connection
// closes; the server goes on. Clients can cause it, so it is logged once a minute.
void Exchange::fail(const std::exception& e) {
  static std::atomic<std::int64_t> last_logged{0};
  log_once_a_minute(last_logged, LogLevel::error,
                    "request " + (request_id_.empty() ? std::string("-") : request_id_) + " from " +
                        endpoint_text(peer_) + " failed: " + e.what());
  metrics::metrics().requests_failed.fetch_add(1, std::memory_order_relaxed);
  respond(closing_answer(bhttp::status::internal_server_error,
                         "the server could not answer this request; the error is in its log (request id " +
                             request_id_ + ")"));
}

void Exchange::route(Request& req) {
  Target target = split_target(req.target());
  answering_head_ = req.method() == bhttp::verb::head;
  request_id_ = request_id_of(req);
  request_line_ = std::string(req.method_string()) + " " + redacted_target(req.target());
  if (auto elsewhere = refuse_served_elsewhere(req, target.path, serves_, state_))
    return respond(std::move(*elsewhere));

  if (state_.mercure && serves_ != Serves::publishing && is_mercure_path(*state_.mercure, target.path))
    return serve_mercure(req, target);
  if (target.path == "/publish/" || target.path == "/kick/") {
    if (req.method() != bhttp::verb::post) return respond(method_not_allowed(req, "POST"));
    ++state_.publishes_unanswered;
    answering_publish_ = true;
    auto reply = [self = shared_from_this()](Response res) {
      net::post(self->executor(), [self, res = std::move(res)]() mutable { self->respond(std::move(res)); });
    };
    if (target.path == "/kick/") return handle_kick(req, peer_.address(), state_.publishing, std::move(reply));
    return handle_publish(req, peer_.address(), state_.publishing, std::move(reply));
  }
  if (target.path == "/static/eventstream.js") {
    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head)
      return respond(method_not_allowed(req, "GET, HEAD"));
    return respond(client_script(req));
  }
  if (target.path == "/healthz" || target.path == "/readyz" || target.path == "/metrics") {
    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head)
      return respond(method_not_allowed(req, "GET, HEAD"));
    if (target.path == "/healthz") return respond(text_response(req, bhttp::status::ok, "ok\n"));
    if (target.path == "/metrics")
      return respond(text_response(req, bhttp::status::ok, metrics::render(state_.hubs),
                                   "text/plain; version=0.0.4; charset=utf-8"));
    return answer_readiness();
  }

  QueryParams query = parse_query(target.query);
  auto match = state_.routes.match(target.path, query);
  if (!match)
    return respond(json_error(req, bhttp::status::not_found,
                              "nothing at " + target.path + "; streams are at " + stream_routes(state_) +
                                  ", publishing at " + where_publishing_is(state_)));

  bool get_or_head = req.method() == bhttp::verb::get || req.method() == bhttp::verb::head;
  if (get_or_head && wants_viewer(req)) return respond(viewer_page(req));
  switch (req.method()) {
  case bhttp::verb::get: break;
  case bhttp::verb::head: {
    Response res = text_response(req, bhttp::status::ok, "", "text/event-stream");
    add_headers(res, state_.stream.stream_headers);
    return respond(std::move(res));
  }
  case bhttp::verb::options: {
    // A CORS preflight: answer it instead of opening a stream, as the reference wrongly did.
    Response res = text_response(req, bhttp::status::no_content, "", "text/plain");
    add_headers(res, state_.stream.stream_headers);
    res.set(bhttp::field::access_control_allow_methods, "GET, HEAD, OPTIONS");
    res.set(bhttp::field::allow, "GET, HEAD, OPTIONS");
    return respond(std::move(res));
  }
  default: return respond(method_not_allowed(req, "GET, HEAD, OPTIONS"));
  }

  bool proxied = from_grip_proxy(req);
  if (state_.mapper && stream::maps_channels(query, proxied))
    return ask_mapper(req, *match, std::move(target.path), std::move(query), proxied);
  plan_and_serve(req, std::move(match->channels), query, proxied);
}

void Exchange::plan_and_serve(Request& req, std::vector<std::string> channels, const QueryParams& query,
                              bool proxied) {
  auto plan = stream::plan_stream(req, std::move(channels), query, state_.stream, proxied);
  if (auto* refusal = std::get_if<Response>(&plan)) return respond(std::move(*refusal));
  if (state_.webhook && !std::get<stream::StreamPlan>(plan).authorized)
    return ask_webhook(req, std::move(std::get<stream::StreamPlan>(plan)));
  serve_stream(req, std::move(std::get<stream::StreamPlan>(plan)));
}

bool Exchange::from_grip_proxy(const Request& req) const {
  auto sig = req["Grip-Sig"];
  if (sig.empty() || !state_.grip_sig.enabled()) return false;
  auto now = std::chrono::system_clock::now();
  auto refusal = state_.grip_sig.refusal(sig, now);
  if (refusal.empty()) return true;
  // Clients choose this header: a line a minute at most says what is wrong.
  static std::atomic<std::int64_t> last_logged{0};
  log_once_a_minute(last_logged, LogLevel::warn,
                    "request from " + endpoint_text(peer_) + " has a Grip-Sig that does not verify (" + refusal +
                        "); answered as a direct client. If it came through your proxy, check --grip-sig-key");
  return false;
}

// The application picks the channels (--channels-url) for the user the token names; its
// answer comes back on a worker thread, and the stream is planned with those channels
// here, on this connection's thread, as if the route had picked them. Where the stream
// resumes is not the application's to choose: lastEventId stays out of the question, and
// so a reconnecting client's question is answered from the cache.
void Exchange::ask_mapper(Request& req, const stream::RouteTable::Match& match, std::string path, QueryParams query,
                          bool proxied) {
  auto user = stream::identify_user(req, query, state_.stream);
  if (auto* refusal = std::get_if<Response>(&user)) return respond(std::move(*refusal));
  auth::ChannelMapper::Question question{std::move(path), std::string(match.route->path()), match.params, {},
                                         std::get<auth::User>(user).id, std::string(req[bhttp::field::cookie]),
                                         std::string(req[bhttp::field::authorization])};
  for (const auto& param : query)
    if (!stream::is_last_event_id_key(param.first)) question.query.push_back(param);
  state_.mapper->ask(question, [self = shared_from_this(), query = std::move(query), proxied](
                                   const auth::Mapping& mapping) {
    net::post(self->executor(), [self, mapping, query, proxied] {
      try {
        Request& request = self->request();
        const auto& context = self->state_.stream;
        if (mapping.outcome == auth::Mapping::Outcome::forbidden)
          return self->respond(stream::stream_error_response(request, context, "forbidden", mapping.message));
        if (mapping.outcome == auth::Mapping::Outcome::failed)
          return self->respond(stream::stream_error_response(request, context, "internal-error",
                                                             "The channel mapping failed; try again later."));
        self->plan_and_serve(request, self->state_.routes.select(mapping.channels), query, proxied);
      } catch (const std::exception& e) {
        self->fail(e);
      }
    });
  });
}

// Asks the application about every channel at once; the answers come back on worker
// threads and are gathered here, on this connection's thread, before the stream starts.
void Exchange::ask_webhook(Request& req, stream::StreamPlan plan) {
  using Verdict = auth::PermissionWebhook::Verdict;
  struct Pending {
    stream::StreamPlan plan;
    std::vector<Verdict> verdicts;
    std::atomic<std::size_t> left;
  };
  auto pending = std::make_shared<Pending>();
  pending->verdicts.resize(plan.channels.size(), Verdict::error);
  pending->left = plan.channels.size();
  pending->plan = std::move(plan);
  std::string cookie(req[bhttp::field::cookie]), authorization(req[bhttp::field::authorization]);
  for (std::size_t i = 0; i < pending->plan.channels.size(); ++i) {
    auth::PermissionWebhook::Question question{pending->plan.user.id, pending->plan.channels[i], cookie, authorization};
    state_.webhook->ask(std::move(question), false, [self = shared_from_this(), pending, i](Verdict verdict) {
      pending->verdicts[i] = verdict;
      if (--pending->left > 0) return;
      net::post(self->executor(), [self, pending] {
        try {
          Request& request = self->request();
          std::vector<std::string> denied;
          bool failed = false;
          for (std::size_t k = 0; k < pending->verdicts.size(); ++k) {
            if (pending->verdicts[k] == Verdict::deny) denied.push_back(pending->plan.channels[k]);
            failed |= pending->verdicts[k] == Verdict::error;
          }
          if (!denied.empty()) return self->respond(stream::forbidden_response(request, self->state_.stream, denied));
          if (failed)
            return self->respond(stream::stream_error_response(request, self->state_.stream, "internal-error",
                                                       "The permission check failed; try again later."));
          self->serve_stream(request, std::move(pending->plan));
        } catch (const std::exception& e) {
          self->fail(e);
        }
      });
    });
  }
}

// The probe reads storage: on a reader thread, answered back on this one.
void Exchange::answer_readiness() {
  auto answer = [this](const std::string& problem) {
    Request& req = request();
    respond(problem.empty() ? text_response(req, bhttp::status::ok, "ready\n")
                            : text_response(req, bhttp::status::service_unavailable, problem + "\n"));
  };
  if (!state_.stream.readers) return answer(state_.unready());
  state_.stream.readers->run([self = shared_from_this(), answer] {
    net::post(self->executor(), [self, answer, problem = self->state_.unready()] { answer(problem); });
  });
}

// The answer reads storage: it is made on a reader thread, and written from this one.
void Exchange::answer_proxied(Request& req, stream::StreamPlan plan) {
  if (!state_.stream.readers) return respond(stream::grip_answer(req, plan, state_.stream));
  state_.stream.readers->run([self = shared_from_this(), &req, plan = std::move(plan)] {
    std::optional<Response> res;
    std::optional<std::runtime_error> failure;
    try {
      res = stream::grip_answer(req, plan, self->state_.stream);
    } catch (const std::exception& e) {
      failure.emplace(e.what());
    }
    net::post(self->executor(), [self, res = std::move(res), failure = std::move(failure)]() mutable {
      if (failure) return self->fail(*failure);
      self->respond(std::move(*res));
    });
  });
}

void Exchange::serve_stream(Request& req, stream::StreamPlan plan) {
  if (plan.proxied) return answer_proxied(req, std::move(plan));
  std::string description = request_id_ + " " + endpoint_text(peer_) + " " + redacted_target(req.target());
  auto sink = become_stream(req);
  if (!sink) return;
  std::make_shared<stream::StreamSession>(std::move(sink), state_.stream, state_.hubs.local(shard_), std::move(plan),
                                          std::move(description))
      ->start();
}

// A subscriber that resumes is placed from storage, on a reader thread; the stream
// starts back on this one.
void Exchange::serve_mercure(Request& req, const Target& target) {
  auto& hub = *state_.mercure;
  QueryParams query = parse_query(target.query);
  bool at_hub = target.path == hub.settings().path;
  if (req.method() == bhttp::verb::post && at_hub) {
    ++state_.publishes_unanswered;
    answering_publish_ = true;
    return handle_mercure_publish(req, query, hub, state_.publishing.publisher, [self = shared_from_this()](Response res) {
      net::post(self->executor(), [self, res = std::move(res)]() mutable { self->respond(std::move(res)); });
    });
  }
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head)
    return respond(mercure_preflight(req, hub));
  if (!at_hub) {
    auto raw = req.target();
    return respond(mercure_subscriptions(req, raw.substr(0, raw.find('?')), query, hub));
  }
  auto planned = plan_mercure_stream(req, query, hub, state_.publishing.publisher);
  if (auto* refusal = std::get_if<Response>(&planned)) return respond(std::move(*refusal));
  auto stream = std::make_shared<MercureStream>(std::move(std::get<MercureStream>(planned)));
  if (req.method() == bhttp::verb::head) {
    Response res = text_response(req, bhttp::status::ok, "", "text/event-stream");
    add_headers(res, stream->plan.headers);
    return respond(std::move(res));
  }
  if (!stream->last_event_id) return serve_stream(req, std::move(stream->plan));
  auto* storage = state_.stream.storage;
  if (!state_.stream.readers) {
    place_mercure_stream(*stream, mercure::resume_after(storage, hub.recent(), *stream->last_event_id));
    return serve_stream(req, std::move(stream->plan));
  }
  state_.stream.readers->run([self = shared_from_this(), stream, storage, &hub] {
    std::optional<mercure::Resumption> resumption;
    std::optional<std::runtime_error> failure;
    try {
      resumption = mercure::resume_after(storage, hub.recent(), *stream->last_event_id);
    } catch (const std::exception& e) {
      failure.emplace(e.what());
    }
    net::post(self->executor(), [self, stream, resumption = std::move(resumption), failure = std::move(failure)] {
      try {
        if (failure) throw *failure;
        place_mercure_stream(*stream, *resumption);
        self->serve_stream(self->request(), std::move(stream->plan));
      } catch (const std::exception& e) {
        self->fail(e);
      }
    });
  });
}

void Exchange::respond(Response res) {
  // A HEAD answer is the GET answer's head: every route answers it the same way here.
  if (std::exchange(answering_head_, false)) res = head_only(std::move(res));
  if (!request_id_.empty()) res.set("X-Request-Id", request_id_);
  if (log_enabled(LogLevel::info))
    log(LogLevel::info, (request_id_.empty() ? "-" : request_id_) + " " + endpoint_text(peer_) + " \"" +
                            (request_line_.empty() ? "-" : request_line_) + "\" " + std::to_string(res.result_int()));
  request_id_.clear();
  request_line_.clear();
  send(std::move(res));
}

void Exchange::answered() {
  if (std::exchange(answering_publish_, false)) --state_.publishes_unanswered;
}

} // namespace es::http
