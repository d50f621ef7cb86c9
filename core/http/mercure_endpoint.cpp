#include "http/mercure_endpoint.hpp"

#include <algorithm>
#include <cctype>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "auth/bearer.hpp"
#include "auth/jwt.hpp"
#include "metrics/metrics.hpp"
#include "mercure/publish_form.hpp"
#include "util/json_reader.hpp"
#include "util/utf8.hpp"

namespace es::http {
namespace {

constexpr std::size_t max_selectors = 128;
constexpr std::string_view subscribe_hint =
    "subscribe with ?topic=<topic or URI template> (repeatable), or the 1.0 draft's ?match= / ?match_urlpattern=";

// Where the token is: the Authorization header wins, then the `authorization` query
// parameter, then the cookie (the protocol's order). `from_cookie` says it was the
// cookie, which a browser sends by itself (so publishing by cookie is checked for CSRF).
struct Presented {
  std::string token;
  bool from_cookie = false;
};

Presented presented_token(const Request& req, const QueryParams& query, const mercure::HubSettings& settings) {
  if (auto bearer = auth::bearer_credentials(req[bhttp::field::authorization])) return {std::string(*bearer), false};
  for (const auto& [key, value] : query)
    if (key == "authorization" && !value.empty()) return {value, false};
  auto cookie = auth::cookie_value(req[bhttp::field::cookie], settings.cookie);
  if (!cookie.empty()) return {percent_decode(cookie), true};
  return {};
}

// The CORS fields for a request from `origin`: credentials only for a listed origin.
HeaderList cors_fields(std::string_view origin, const mercure::HubSettings& settings) {
  HeaderList fields;
  const auto& allowed = settings.cors_origins;
  if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) {
    fields.emplace_back("Access-Control-Allow-Origin", "*");
  } else if (!origin.empty() && std::find(allowed.begin(), allowed.end(), origin) != allowed.end()) {
    fields.emplace_back("Access-Control-Allow-Origin", std::string(origin));
    fields.emplace_back("Access-Control-Allow-Credentials", "true");
  }
  if (!allowed.empty()) fields.emplace_back("Vary", "Origin");
  return fields;
}

void add_cors(Response& res, std::string_view origin, const mercure::HubSettings& settings) {
  add_headers(res, cors_fields(origin, settings));
}

// A text answer: the id of a publish, or what was wrong (with the Bearer challenge of a
// 401 or 403).
Response answer(ReplyTo to, std::string_view origin, const mercure::HubSettings& settings, bhttp::status status,
                std::string text, std::string_view challenge = {}) {
  if (status != bhttp::status::ok) metrics::metrics().requests_refused.fetch_add(1, std::memory_order_relaxed);
  Response res = text_response(to, status, std::move(text) + (status == bhttp::status::ok ? "" : "\n"));
  if (!challenge.empty()) res.set(bhttp::field::www_authenticate, challenge);
  add_cors(res, origin, settings);
  return res;
}

Response answer(const Request& req, const mercure::HubSettings& settings, bhttp::status status, std::string text,
                std::string_view challenge = {}) {
  return answer(req, req[bhttp::field::origin], settings, status, std::move(text), challenge);
}

// The grants of the presented token (null: none presented), or the 401 that refuses it.
std::variant<std::shared_ptr<const mercure::Grants>, Response>
read_token(const Request& req, const std::string& token, const auth::JwtVerifier& key, const mercure::MercureHub& hub) {
  if (token.empty()) return std::shared_ptr<const mercure::Grants>();
  try {
    auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    auto payload = key.verify(token, now, hub.settings().leeway.count());
    return std::make_shared<const mercure::Grants>(mercure::read_grants(payload, hub.settings().public_url));
  } catch (const auth::TokenError& e) {
    return answer(req, hub.settings(), bhttp::status::unauthorized,
                  std::string("the token was refused: ") + e.what() + "; present a JWT signed with the hub's key",
                  "Bearer error=\"invalid_token\"");
  }
}

bool reserved_match_name(std::string_view name) {
  if (name.size() < 5) return false;
  std::string head(name.substr(0, 5));
  for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return head == "match";
}

// The selectors of a subscribe request, or what is wrong with them.
std::variant<std::vector<mercure::Selector>, std::string> read_selectors(const QueryParams& query,
                                                                         const mercure::HubSettings& settings) {
  std::vector<mercure::Selector> selectors;
  for (const auto& [name, value] : query) {
    bool topic = name == "topic";
    if (!topic && !reserved_match_name(name)) continue;
    if (name != "topic" && name != "match" && name != "match_exact" && name != "match_urlpattern")
      return name + " is not a matcher this hub knows: use topic, match, match_exact or match_urlpattern";
    if (!valid_utf8(value) || has_control_character(value))
      return name + ": a selector must be UTF-8 text without control characters";
    if (selectors.size() == max_selectors)
      return "more than " + std::to_string(max_selectors) + " selectors in one subscription";
    try {
      if (topic) selectors.push_back(mercure::Selector::topic_selector(value));
      else if (name == "match_urlpattern") selectors.push_back(mercure::Selector::url_pattern(value, settings.public_url));
      else selectors.push_back(mercure::Selector::exact(value));
    } catch (const mercure::SelectorError& e) {
      return name + ": " + e.what();
    }
  }
  if (selectors.empty()) return "no topic selector; " + std::string(subscribe_hint);
  return selectors;
}

// An id no update can have (control characters, not UTF-8, too long) is asked for as an
// unknown one: the answer's Last-Event-ID is then "earliest", never the bytes sent.
std::optional<std::string> asked_last_event_id(const Request& req, const QueryParams& query) {
  std::optional<std::string> asked;
  if (auto header = req["Last-Event-ID"]; !header.empty()) asked = std::string(header);
  for (const auto& [key, value] : query)
    if (!asked && (key == "lastEventID" || key == "last_event_id") && !value.empty()) asked = value;
  if (asked && (asked->size() > 1024 || !valid_utf8(*asked) || has_control_character(*asked)))
    asked = "\x01unknown";
  return asked;
}

void write_string(rapidjson::Writer<rapidjson::StringBuffer>& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

} // namespace

bool is_mercure_path(const mercure::MercureHub& hub, std::string_view path) {
  const auto& root = hub.settings().path;
  return path == root || (path.starts_with(root) && path.substr(root.size()).starts_with("/subscriptions") &&
                          (path.size() == root.size() + 14 || path[root.size() + 14] == '/'));
}

std::variant<MercureStream, Response> plan_mercure_stream(const Request& req, const QueryParams& query,
                                                          mercure::MercureHub& hub, publish::Publisher& publisher) {
  const auto& settings = hub.settings();
  auto selectors = read_selectors(query, settings);
  if (auto* problem = std::get_if<std::string>(&selectors))
    return answer(req, settings, bhttp::status::bad_request, *problem);
  auto presented = presented_token(req, query, settings);
  if (presented.token.empty() && !settings.anonymous)
    return answer(req, settings, bhttp::status::unauthorized,
                  "this hub has no anonymous subscribers: present a subscriber JWT (Authorization: Bearer, the " +
                      settings.cookie + " cookie, or ?authorization=)",
                  "Bearer");
  auto grants = read_token(req, presented.token, hub.subscriber_key(), hub);
  if (auto* refusal = std::get_if<Response>(&grants)) return std::move(*refusal);

  auto subscription = std::make_shared<mercure::Subscription>();
  subscription->selectors = std::move(std::get<std::vector<mercure::Selector>>(selectors));
  subscription->grants = std::get<std::shared_ptr<const mercure::Grants>>(grants);
  subscription->subscriber = mercure::generated_id();

  MercureStream stream;
  auto& plan = stream.plan;
  plan.channels = {std::string(mercure::update_channel)};
  if (subscription->grants) plan.user.expires = subscription->grants->expires;
  plan.mercure = subscription;
  plan.headers = {{"Cache-Control", "private, no-cache, no-store, must-revalidate, max-age=0"},
                  {"X-Accel-Buffering", "no"}};
  for (auto& field : cors_fields(req[bhttp::field::origin], settings)) plan.headers.push_back(std::move(field));
  if (settings.subscriptions) plan.held = std::make_shared<mercure::Announcement>(publisher, hub.presence(), subscription);
  stream.last_event_id = asked_last_event_id(req, query);
  return stream;
}

void place_mercure_stream(MercureStream& stream, const mercure::Resumption& resumption) {
  if (resumption.after) stream.plan.resume = {{std::string(mercure::update_channel), *resumption.after}};
  // 0.x names it Last-Event-ID, the 1.0 draft Mercure-Last-Event-ID.
  stream.plan.headers.emplace_back("Last-Event-ID", resumption.answered);
  stream.plan.headers.emplace_back("Mercure-Last-Event-ID", resumption.answered);
}

void handle_mercure_publish(const Request& req, const QueryParams& query, const mercure::MercureHub& hub,
                            publish::Publisher& publisher, std::function<void(Response)> reply) {
  const auto& settings = hub.settings();
  auto content_type = req[bhttp::field::content_type];
  if (!content_type.starts_with("application/x-www-form-urlencoded"))
    return reply(answer(req, settings, bhttp::status::unsupported_media_type,
                        "publish with Content-Type: application/x-www-form-urlencoded (topic=...&data=...)"));
  auto presented = presented_token(req, query, settings);
  if (presented.token.empty())
    return reply(answer(req, settings, bhttp::status::unauthorized,
                        "publishing needs a publisher JWT: send 'Authorization: Bearer <JWT>' whose mercure.publish "
                        "claim lists the topics it may publish to",
                        "Bearer"));
  // A cookie comes with any page's request: only listed origins may publish with it.
  if (presented.from_cookie) {
    auto origin = req[bhttp::field::origin];
    const auto& allowed = settings.cors_origins;
    if (origin.empty() || std::find(allowed.begin(), allowed.end(), origin) == allowed.end())
      return reply(answer(req, settings, bhttp::status::forbidden,
                          "publishing with the " + settings.cookie +
                              " cookie needs an Origin listed in --mercure-cors-origin; other clients send "
                              "'Authorization: Bearer <JWT>'"));
  }
  auto grants = read_token(req, presented.token, hub.publisher_key(), hub);
  if (auto* refusal = std::get_if<Response>(&grants)) return reply(std::move(*refusal));
  mercure::Update update;
  try {
    update = mercure::read_publish_form(req.body(), settings.path);
  } catch (const mercure::PublishTooLarge& e) {
    return reply(answer(req, settings, bhttp::status::payload_too_large, e.what()));
  } catch (const mercure::BadPublish& e) {
    return reply(answer(req, settings, bhttp::status::bad_request, e.what()));
  }
  if (!std::get<std::shared_ptr<const mercure::Grants>>(grants)->may_publish(update.topics))
    return reply(answer(req, settings, bhttp::status::forbidden,
                        "the token's mercure.publish does not cover every topic of this update",
                        "Bearer error=\"insufficient_scope\""));
  if (update.id.empty()) update.id = mercure::generated_id();
  std::vector<publish::PublishItem> items{mercure::publish_item(update)};
  publisher.publish(std::move(items), [to = ReplyTo(req), id = update.id, settings = &settings,
                                       origin = std::string(req[bhttp::field::origin]),
                                       reply = std::move(reply)](const publish::PublishOutcome& outcome) {
    if (!outcome.error.empty())
      return reply(answer(to, origin, *settings, bhttp::status::service_unavailable,
                          "the update was not published: " + outcome.error));
    reply(answer(to, origin, *settings, bhttp::status::ok, id));
  });
}

Response mercure_subscriptions(const Request& req, std::string_view raw_path, const QueryParams& query,
                               const mercure::MercureHub& hub) {
  const auto& settings = hub.settings();
  if (!settings.subscriptions)
    return answer(req, settings, bhttp::status::not_found,
                  "the subscriptions API is off; start the server with --mercure-subscriptions");
  auto presented = presented_token(req, query, settings);
  if (presented.token.empty())
    return answer(req, settings, bhttp::status::unauthorized,
                  "the subscriptions API needs a subscriber JWT whose mercure.subscribe matches this URL", "Bearer");
  auto grants = read_token(req, presented.token, hub.subscriber_key(), hub);
  if (auto* refusal = std::get_if<Response>(&grants)) return std::move(*refusal);
  if (!std::get<std::shared_ptr<const mercure::Grants>>(grants)->may_receive({std::string(raw_path)}))
    return answer(req, settings, bhttp::status::forbidden,
                  "the token's mercure.subscribe does not match " + std::string(raw_path),
                  "Bearer error=\"insufficient_scope\"");

  // {root}/subscriptions[/{selector}[/{subscriber}]], each escaped whole.
  auto rest = raw_path.substr(hub.presence().root().size());
  std::vector<std::string> parts;
  while (rest.starts_with('/') && parts.size() < 3) {
    rest.remove_prefix(1);
    auto slash = rest.find('/');
    parts.push_back(percent_decode(rest.substr(0, slash)));
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
  if (!rest.empty() || parts.size() > 2)
    return answer(req, settings, bhttp::status::not_found,
                  "nothing at " + std::string(raw_path) + "; the API is " + hub.presence().root() +
                      "[/{topic}[/{subscriber}]], each part percent-encoded");
  std::string selector = parts.empty() ? "" : parts[0], subscriber = parts.size() > 1 ? parts[1] : "";
  auto documents = hub.presence().list(selector, subscriber);
  auto last_event_id = hub.recent().newest();

  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  if (!subscriber.empty()) {
    if (documents.empty())
      return answer(req, settings, bhttp::status::not_found, "no active subscription at " + std::string(raw_path));
    JsonDocument doc;
    if (!read_json(doc, documents.front()).empty() || !doc.IsObject())
      return answer(req, settings, bhttp::status::internal_server_error, "a stored subscription is not JSON");
    doc.AddMember("lastEventID", rapidjson::Value(last_event_id.c_str(), doc.GetAllocator()), doc.GetAllocator());
    doc.Accept(writer);
  } else {
    writer.StartObject();
    writer.Key("@context");
    writer.String("https://mercure.rocks/");
    writer.Key("id");
    write_string(writer, raw_path);
    writer.Key("type");
    writer.String("Subscriptions");
    writer.Key("lastEventID");
    write_string(writer, last_event_id);
    writer.Key("subscriptions");
    writer.StartArray();
    for (const auto& document : documents) writer.RawValue(document.data(), document.size(), rapidjson::kObjectType);
    writer.EndArray();
    writer.EndObject();
  }
  Response res = text_response(req, bhttp::status::ok, std::string(out.GetString(), out.GetSize()),
                               "application/ld+json");
  res.set(bhttp::field::cache_control, "must-revalidate");
  add_cors(res, req[bhttp::field::origin], settings);
  return res;
}

Response mercure_preflight(const Request& req, const mercure::MercureHub& hub) {
  const auto& settings = hub.settings();
  if (req.method() != bhttp::verb::options) {
    Response res = answer(req, settings, bhttp::status::method_not_allowed,
                          std::string(req.method_string()) + " is not allowed here; the hub takes GET (subscribe) "
                                                             "and POST (publish)");
    res.set(bhttp::field::allow, "GET, POST, OPTIONS");
    return res;
  }
  Response res = text_response(req, bhttp::status::no_content, "", "text/plain");
  add_cors(res, req[bhttp::field::origin], settings);
  res.set(bhttp::field::access_control_allow_methods, "GET, POST, OPTIONS");
  res.set(bhttp::field::access_control_allow_headers, "Authorization, Content-Type, Last-Event-ID, Cache-Control");
  res.set(bhttp::field::access_control_max_age, "600");
  res.set(bhttp::field::allow, "GET, POST, OPTIONS");
  return res;
}

} // namespace es::http
