#include "http/publish_endpoint.hpp"

#include <openssl/crypto.h>

#include <rapidjson/document.h>

#include "auth/bearer.hpp"
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

bool same_secret(std::string_view given, std::string_view expected) {
  return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
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
                              "this server requires 'Authorization: Bearer KEY' with its --publish-key");
    res.set(bhttp::field::www_authenticate, "Bearer");
    return res;
  }
  auto given = auth::bearer_credentials({header.data(), header.size()});
  if (!given || !same_secret(*given, key))
    return json_error(req, bhttp::status::forbidden, "the publish key is wrong");
  return std::nullopt;
}

// A request the limits refuse (SECURITY.md): too many events, or a channel name that is
// too long or could split a header or an id.
std::optional<Response> refuse_over_limits(const Request& req, const std::vector<publish::PublishItem>& items,
                                           const config::ServerConfig& config) {
  auto refuse = [&](bhttp::status status, const std::string& message) {
    metrics::metrics().requests_refused.fetch_add(1, std::memory_order_relaxed);
    return json_error(req, status, message);
  };
  if (items.size() > config.max_batch)
    return refuse(bhttp::status::payload_too_large,
                  "items: " + std::to_string(items.size()) + " events; this server takes at most " +
                      std::to_string(config.max_batch) + " in one request (--max-batch): send several requests");
  for (std::size_t i = 0; i < items.size(); ++i)
    if (auto problem = hub::channel_name_problem(items[i].channel, config.max_channel_length); !problem.empty())
      return refuse(bhttp::status::bad_request,
                    (items.size() == 1 ? std::string("channel") : "items[" + std::to_string(i) + "].channel") + ": " +
                        problem);
  return std::nullopt;
}

// Empty when `body` is {"user": ID, "channel": NAME} (then both are filled in), otherwise
// what is wrong with it.
std::string read_kick(std::string_view body, std::string& user, std::string& channel) {
  rapidjson::Document doc;
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

  std::vector<publish::PublishItem> items;
  try {
    items = publish::parse_publish_request(req.body());
  } catch (const publish::BadPublishRequest& e) {
    metrics::metrics().requests_refused.fetch_add(1, std::memory_order_relaxed);
    return reply(json_error(req, bhttp::status::bad_request, e.what()));
  }
  if (auto refusal = refuse_over_limits(req, items, context.config)) return reply(std::move(*refusal));

  std::string summary = std::to_string(items.size()) + (items.size() == 1 ? " event" : " events") + " from " +
                        peer.to_string() + " (first on channel '" + items.front().channel + "')";
  ReplyTo to(req);
  auto started = std::chrono::steady_clock::now();
  context.publisher.publish(std::move(items), [to, summary = std::move(summary), started,
                                             reply = std::move(reply)](publish::PublishOutcome outcome) {
    metrics::metrics().publish_latency.observe(std::chrono::steady_clock::now() - started);
    if (!outcome.error.empty()) {
      metrics::metrics().publish_failures.fetch_add(1, std::memory_order_relaxed);
      return reply(json_error(to, bhttp::status::service_unavailable, outcome.error));
    }
    std::string body = "{\"ids\": [";
    for (std::size_t i = 0; i < outcome.ids.size(); ++i) {
      if (i) body += ", ";
      if (outcome.ids[i]) sse::append_python_json_string(body, *outcome.ids[i]);
      else body += "null";
    }
    body += "]}\n";
    if (log_enabled(LogLevel::info)) log(LogLevel::info, "published " + summary);
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
  auto kick = [&context, to, user, channel, reply](bool application_allows) {
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
    context.hubs.kick(user, channel, application_allows, [to, user, channel, reply](std::size_t ended) {
      log(LogLevel::info, "kick of user '" + user + "' on channel '" + channel + "' ended " + std::to_string(ended) +
                              (ended == 1 ? " stream" : " streams"));
      reply(text_response(to, bhttp::status::ok, "{\"ended\": " + std::to_string(ended) + "}\n", "application/json"));
    });
  };
  // Telling the other instances is a blocking Redis PUBLISH: never on this I/O thread.
  if (!context.webhook) return context.fanout ? context.readers->run([kick] { kick(true); }) : kick(true);
  using Verdict = auth::PermissionWebhook::Verdict;
  context.webhook->ask({user, channel, "", ""}, true, [to, kick, reply](Verdict verdict) {
    if (verdict == Verdict::error)
      return reply(json_error(to, bhttp::status::service_unavailable,
                              "the permission webhook did not answer; nothing was ended, try again"));
    kick(verdict == Verdict::allow);
  });
}

} // namespace es::http
