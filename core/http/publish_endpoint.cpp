#include "http/publish_endpoint.hpp"

#include <rapidjson/document.h>

#include "http/proxy_headers.hpp"
#include "hub/channel_name.hpp"
#include "metrics/metrics.hpp"
#include "sse/json_text.hpp"
#include "util/json_reader.hpp"
#include "util/log.hpp"

namespace es::http {
namespace {

bool is_loopback(const boost::asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).is_loopback();
  return address.is_loopback();
}

// Null when the request may publish, otherwise the refusal.
std::optional<Response> refuse_unauthorized(const Request& req, const boost::asio::ip::address& peer,
                                            const PublishContext& context) {
  const std::string& key = context.config.publish_key;
  if (key.empty()) {
    // Any web page open in a browser on this machine could reach a loopback server; the
    // Origin header marks its requests (browsers always send it on a cross-site POST).
    if (!req[bhttp::field::origin].empty())
      return json_error(req, bhttp::status::forbidden,
                        "publishing without --publish-key is for programs on this machine, not web pages (this "
                        "request has an Origin header); start the server with --publish-key and send "
                        "'Authorization: Bearer KEY'");
    // Through a proxy on this machine the peer is loopback whoever the client is.
    if (auto header = proxy_header(req); !header.empty())
      return json_error(req, bhttp::status::forbidden,
                        "publishing without --publish-key is for programs on this machine, and this request came "
                        "through a proxy (it has a " + std::string(header) + " header), so its client may be "
                        "anywhere; start the server with --publish-key and send 'Authorization: Bearer KEY', or "
                        "publish to the server directly, not through the proxy");
    if (is_loopback(peer)) return std::nullopt;
    return json_error(req, bhttp::status::forbidden,
                      "publishing is open to loopback clients only while the server has no --publish-key; "
                      "start it with --publish-key and send 'Authorization: Bearer KEY'");
  }
  auto header = req[bhttp::field::authorization];
  if (header.empty()) {
    Response res = json_error(req, bhttp::status::unauthorized,
                              "this server requires 'Authorization: Bearer KEY' with its --publish-key (GRIP "
                              "publishers: a GRIP_URL with ?key=KEY)");
    res.set(bhttp::field::www_authenticate, "Bearer");
    return res;
  }
  if (auto why = context.credentials.refusal({header.data(), header.size()}, std::chrono::system_clock::now());
      !why.empty())
    return json_error(req, bhttp::status::forbidden, why);
  return std::nullopt;
}

// A request the limits refuse (SECURITY.md): a channel name that is too long or could
// split a header or an id. (Too many events are refused as they are read.)
std::optional<Response> refuse_over_limits(const Request& req, const publish::PublishRequest& request,
                                           const config::ServerConfig& config) {
  const auto& items = request.items;
  auto refuse = [&](bhttp::status status, const std::string& message) {
    metrics::metrics().requests_refused.fetch_add(1, std::memory_order_relaxed);
    return json_error(req, status, message);
  };
  for (std::size_t i = 0; i < items.size(); ++i)
    if (auto problem = hub::channel_name_problem(items[i].channel, config.max_channel_length); !problem.empty())
      return refuse(bhttp::status::bad_request,
                    (items.size() == 1 ? std::string("channel") : "items[" + std::to_string(i) + "].channel") + ": " +
                        problem);
  for (const auto& kick : request.kicks)
    if (auto problem = hub::channel_name_problem(kick.channel, config.max_channel_length); !problem.empty())
      return refuse(bhttp::status::bad_request, "the channel of a close item's require_sub: " + problem);
  return std::nullopt;
}

// What Pushpin answers a publish, so GRIP publishers see what they expect.
Response grip_published(const Request& req) {
  if (req[bhttp::field::accept].find("application/json") != std::string_view::npos)
    return text_response(req, bhttp::status::ok, "{\"message\": \"Published\"}\n", "application/json");
  return text_response(req, bhttp::status::ok, "Published\n", "text/plain");
}

// Re-checks `user`'s streams on `channel` (docs/protocol.md §9): with the application's
// fresh answer (with --auth-url) on every shard, on this instance and the others. Without
// a webhook the token rules decide, unless `revoked`: a GRIP close item, whose publisher
// has decided already, as Pushpin takes it. `done` gets the streams ended here, or
// nothing when the webhook did not answer.
void kick_user(const PublishContext& context, std::string user, std::string channel, bool revoked,
               std::function<void(std::optional<std::size_t>)> done) {
  if (context.mapper) context.mapper->forget_user(user);
  auto kick = [&context, user, channel, done](bool application_allows) {
    // Streams held by GRIP proxies cannot be asked about their token: the application's
    // verdict decides for them, and they end only when it denies.
    if (!application_allows && context.grip) context.grip->kick(user, channel);
    if (context.fanout) {
      try {
        context.fanout->kick(user, channel, application_allows);
      } catch (const redis::RedisError& e) {
        log(LogLevel::warn, "the kick of '" + user + "' did not reach the other instances: " + e.what());
      }
    }
    context.hubs.kick(user, channel, application_allows, [user, channel, done](std::size_t ended) {
      log(LogLevel::info, "kick of " + (user.empty() ? std::string("anonymous users") : "user '" + user + "'") +
                              " on channel '" + channel + "' ended " + std::to_string(ended) +
                              (ended == 1 ? " stream" : " streams"));
      done(ended);
    });
  };
  // Telling the other instances is a blocking Redis PUBLISH: never on this I/O thread.
  if (!context.webhook)
    return context.fanout ? context.readers->run([kick, revoked] { kick(!revoked); }) : kick(!revoked);
  using Verdict = auth::PermissionWebhook::Verdict;
  context.webhook->ask({user, channel, "", ""}, true, [kick, done](Verdict verdict) {
    if (verdict == Verdict::error) return done(std::nullopt);
    kick(verdict == Verdict::allow);
  });
}

// The kicks of a GRIP publish, one after another, then `reply` with `published`.
void kick_all(const PublishContext& context, std::shared_ptr<std::vector<publish::Kick>> kicks, std::size_t next,
              ReplyTo to, Response published, std::function<void(Response)> reply) {
  if (next == kicks->size()) return reply(std::move(published));
  const auto& kick = (*kicks)[next];
  kick_user(context, kick.user, kick.channel, true,
            [&context, kicks, next, to, published = std::move(published), reply](std::optional<std::size_t> ended) {
    if (!ended)
      return reply(json_error(to, bhttp::status::service_unavailable,
                              "the permission webhook did not answer, so the close item for channel '" +
                                  (*kicks)[next].channel + "' ended no stream (the events before it are "
                                  "published); send channel_permission_changed() again"));
    kick_all(context, kicks, next + 1, to, published, reply);
  });
}

// Empty when `body` is {"user": ID, "channel": NAME} (then both are filled in), otherwise
// what is wrong with it.
std::string read_kick(std::string_view body, std::string& user, std::string& channel) {
  JsonDocument doc;
  if (auto problem = read_json(doc, body); !problem.empty()) return "body: " + problem;
  if (!doc.IsObject()) return "body: must be a JSON object: {\"user\": \"ID\", \"channel\": \"NAME\"}";
  for (auto [name, out] : {std::pair{"user", &user}, std::pair{"channel", &channel}}) {
    auto member = doc.FindMember(name);
    if (member == doc.MemberEnd())
      return std::string(name) + ": is required (a kick is {\"user\": \"ID\", \"channel\": \"NAME\"})";
    if (!member->value.IsString() || member->value.GetStringLength() == 0)
      return std::string(name) + ": must be a non-empty string";
    out->assign(member->value.GetString(), member->value.GetStringLength());
  }
  return {};
}

} // namespace

void handle_publish(const Request& req, const boost::asio::ip::address& peer, const PublishContext& context,
                    std::function<void(Response)> reply) {
  if (auto refusal = refuse_unauthorized(req, peer, context)) return reply(std::move(*refusal));

  publish::PublishRequest request;
  try {
    request = publish::parse_publish_request(req.body(), context.config.grip_prefix, context.config.max_batch);
  } catch (const publish::PublishTooLarge& e) {
    metrics::metrics().requests_refused.fetch_add(1, std::memory_order_relaxed);
    return reply(json_error(req, bhttp::status::payload_too_large, e.what()));
  } catch (const publish::BadPublishRequest& e) {
    metrics::metrics().requests_refused.fetch_add(1, std::memory_order_relaxed);
    return reply(json_error(req, bhttp::status::bad_request, e.what()));
  }
  if (auto refusal = refuse_over_limits(req, request, context.config)) return reply(std::move(*refusal));
  if (request.grip && req[bhttp::field::user_agent].starts_with(grip::grip_publisher_agent))
    return reply(json_error(req, bhttp::status::loop_detected,
                            "these GRIP items come from an eventstream server's --grip-url: publishing them again "
                            "could loop; point --grip-url at the GRIP proxy (Pushpin, Fanout), not at an eventstream "
                            "server (serve reads GRIP_URL from its environment as --grip-url)"));

  ReplyTo to(req);
  auto kicks = std::make_shared<std::vector<publish::Kick>>(std::move(request.kicks));
  Response published = grip_published(req);
  if (request.items.empty()) return kick_all(context, kicks, 0, to, std::move(published), std::move(reply));
  // Only for the log line: formatting the peer's address costs more than parsing the request.
  std::string summary;
  if (log_enabled(LogLevel::info))
    summary = std::to_string(request.items.size()) + (request.items.size() == 1 ? " event" : " events") + " from " +
              peer.to_string() + " (first on channel '" + request.items.front().channel + "')";
  auto started = std::chrono::steady_clock::now();
  context.publisher.publish(std::move(request.items), [&context, kicks, grip = request.grip, to, published = std::move(published),
                                                       summary = std::move(summary), started,
                                                       reply = std::move(reply)](publish::PublishOutcome outcome) {
    metrics::metrics().publish_latency.observe(std::chrono::steady_clock::now() - started);
    if (!outcome.error.empty()) {
      metrics::metrics().publish_failures.fetch_add(1, std::memory_order_relaxed);
      return reply(json_error(to, bhttp::status::service_unavailable, outcome.error));
    }
    if (log_enabled(LogLevel::info)) log(LogLevel::info, "published " + summary);
    if (grip) return kick_all(context, kicks, 0, to, published, reply);
    std::string body = "{\"ids\": [";
    for (std::size_t i = 0; i < outcome.ids.size(); ++i) {
      if (i) body += ", ";
      if (outcome.ids[i]) sse::append_python_json_string(body, *outcome.ids[i]);
      else body += "null";
    }
    body += "]}\n";
    reply(text_response(to, bhttp::status::ok, std::move(body), "application/json"));
  });
}

void handle_kick(const Request& req, const boost::asio::ip::address& peer, const PublishContext& context,
                 std::function<void(Response)> reply) {
  if (auto refusal = refuse_unauthorized(req, peer, context)) return reply(std::move(*refusal));
  std::string user, channel;
  if (auto problem = read_kick(req.body(), user, channel); !problem.empty())
    return reply(json_error(req, bhttp::status::bad_request, problem));
  if (auto problem = hub::channel_name_problem(channel, context.config.max_channel_length); !problem.empty())
    return reply(json_error(req, bhttp::status::bad_request, "channel: " + problem));

  ReplyTo to(req);
  kick_user(context, user, channel, false, [to, reply](std::optional<std::size_t> ended) {
    if (!ended)
      return reply(json_error(to, bhttp::status::service_unavailable,
                              "the permission webhook did not answer; nothing was ended, try again"));
    reply(text_response(to, bhttp::status::ok, "{\"ended\": " + std::to_string(*ended) + "}\n", "application/json"));
  });
}

} // namespace es::http
