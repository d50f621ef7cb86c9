#include "client/listen.hpp"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <random>
#include <thread>

#include "sse/decoder.hpp"
#include "sse/json_text.hpp"
#include "util/json_reader.hpp"
#include "util/outgoing_http.hpp"
#include "util/url.hpp"

namespace es::client {
namespace {

using Clock = std::chrono::steady_clock;

// One connection's worth of reading, shared with libcurl's callbacks.
struct Connection {
  Connection(const ListenOptions& options_, std::ostream& out_) : options(options_), out(out_), last_id(options_.last_event_id) {}
  const ListenOptions& options;
  std::ostream& out;
  sse::Decoder decoder;
  std::string last_id;
  std::size_t received = 0;
  std::optional<Clock::time_point> deadline;
  bool stream_error = false; // a stream-error came, which ends everything
  std::string error_text;     // its data
  std::string refusal;        // a non-200 answer's first line, or why a 200 is no stream
  long status = 0;
  curl_off_t retry_after = 0; // seconds, from a refusal's Retry-After
  std::string failure;        // libcurl's words for why the last transfer failed
  bool opened = false;
  bool streamed = false; // some connection was a stream
  CURL* curl = nullptr;
};

void print(Connection& c, const sse::ReceivedEvent& event) {
  if (c.options.json) {
    std::string line = "{\"type\": ";
    sse::append_python_json_string(line, event.type);
    if (event.id) {
      line += ", \"id\": ";
      sse::append_python_json_string(line, *event.id);
    }
    line += ", \"data\": ";
    rapidjson::Document doc;
    if (read_json(doc, event.data).empty()) line += sse::python_json(doc); // JSON stays JSON
    else sse::append_python_json_string(line, event.data);
    c.out << line << "}\n";
  } else {
    char when[16];
    std::time_t now = std::time(nullptr);
    std::strftime(when, sizeof when, "%H:%M:%S", std::localtime(&now));
    c.out << when << "  " << event.type;
    if (event.id) c.out << "  id " << *event.id;
    c.out << "\n  " << event.data << "\n";
  }
  c.out.flush(); // one line at a time through a pipe
}

bool on_event(Connection& c, const sse::ReceivedEvent& event) {
  if (event.type == "keep-alive" || event.type == "stream-open") return true;
  print(c, event);
  if (event.type == "stream-error") {
    c.stream_error = true;
    c.error_text = event.data;
    return false;
  }
  return !(c.options.count && ++c.received >= *c.options.count);
}

std::size_t on_bytes(char* data, std::size_t size, std::size_t count, void* user) {
  auto& c = *static_cast<Connection*>(user);
  std::size_t n = size * count;
  if (!c.opened) {
    c.opened = true;
    curl_easy_getinfo(c.curl, CURLINFO_RESPONSE_CODE, &c.status);
    const char* type = nullptr;
    curl_easy_getinfo(c.curl, CURLINFO_CONTENT_TYPE, &type);
    if (c.status == 200 && (!type || !std::string_view(type).starts_with("text/event-stream"))) {
      c.refusal = "it is " + std::string(type ? type : "untyped") + ", not text/event-stream";
      return 0; // a login page or an error page: no use reading it as a stream
    }
    c.streamed = c.streamed || c.status == 200;
  }
  if (c.status != 200) {
    c.refusal.append(data, std::min<std::size_t>(n, 500 - std::min<std::size_t>(500, c.refusal.size())));
    return n;
  }
  bool go_on =
      c.decoder.feed(std::string_view(data, n), [&](const sse::ReceivedEvent& e) { return on_event(c, e); });
  if (auto id = c.decoder.last_id(); id && *id != "error") c.last_id = *id;
  return go_on ? n : 0; // 0 stops: the transfer ends with a write error
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& c = *static_cast<Connection*>(user);
  return c.deadline && Clock::now() >= *c.deadline ? 1 : 0;
}

// Streams until the server ends, the connection fails, an event stops it, or the deadline.
CURLcode stream_once(Connection& c) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  c.curl = curl.get();
  c.decoder = sse::Decoder{};
  c.opened = false;
  c.status = 0;
  c.refusal.clear();
  curl_slist* headers = curl_slist_append(nullptr, "Accept: text/event-stream");
  if (!c.last_id.empty()) headers = curl_slist_append(headers, ("Last-Event-ID: " + c.last_id).c_str());
  if (!c.options.token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + c.options.token).c_str());
  set_tls(c.curl, c.options.tls);
  curl_easy_setopt(c.curl, CURLOPT_URL, c.options.url.c_str());
  curl_easy_setopt(c.curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c.curl, CURLOPT_WRITEFUNCTION, on_bytes);
  curl_easy_setopt(c.curl, CURLOPT_WRITEDATA, &c);
  curl_easy_setopt(c.curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c.curl, CURLOPT_XFERINFODATA, &c);
  curl_easy_setopt(c.curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c.curl, CURLOPT_FOLLOWLOCATION, 1L); // as EventSource does
  curl_easy_setopt(c.curl, CURLOPT_NOSIGNAL, 1L);
  // A stream silent for two minutes (six of eventstream's default keep-alive intervals)
  // is dead: reconnect.
  curl_easy_setopt(c.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c.curl, CURLOPT_LOW_SPEED_TIME, 120L);
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c.curl, CURLOPT_ERRORBUFFER, error);
  CURLcode rc = curl_easy_perform(c.curl);
  c.failure = error[0] ? error : curl_easy_strerror(rc);
  // An answer without a body has not told its status yet.
  if (!c.opened) curl_easy_getinfo(c.curl, CURLINFO_RESPONSE_CODE, &c.status);
  if (curl_easy_getinfo(c.curl, CURLINFO_RETRY_AFTER, &c.retry_after) != CURLE_OK) c.retry_after = 0;
  curl_slist_free_all(headers);
  return rc;
}

std::string first_line(std::string text) {
  text = text.substr(0, text.find('\n'));
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

} // namespace

std::string stream_url(const std::vector<std::string>& targets, const std::string& base_url) {
  if (targets.size() == 1 && (targets[0].starts_with("http://") || targets[0].starts_with("https://")))
    return targets[0];
  std::string url = base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/events/";
  for (std::size_t i = 0; i < targets.size(); ++i) url += (i ? "&channel=" : "?channel=") + percent_encode(targets[i], "");
  return url;
}

int listen(const ListenOptions& options, std::ostream& out, std::ostream& err) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  Connection c(options, out);
  if (options.timeout) c.deadline = Clock::now() + *options.timeout;
  std::mt19937 random(std::random_device{}());
  auto backoff = std::chrono::milliseconds(500);
  while (true) {
    CURLcode rc = stream_once(c);
    if (c.stream_error) {
      rapidjson::Document doc;
      std::string why = c.error_text;
      if (read_json(doc, c.error_text).empty() && doc.IsObject() && doc.HasMember("text") && doc["text"].IsString())
        why = doc["text"].GetString();
      err << "eventstream listen: the server ended the stream: " << why << "\n";
      return 1;
    }
    if (options.count && c.received >= *options.count) return 0;
    // An untrusted certificate stays untrusted; a handshake that fails before any stream
    // opened is a wrong port or an old server, not a break to wait out.
    if (auto advice = tls_advice(rc);
        !advice.empty() && (rc != CURLE_SSL_CONNECT_ERROR || !c.streamed)) {
      err << "eventstream listen: " << options.url << ": " << c.failure << "; " << advice << "\n";
      return 1;
    }
    if (c.status == 200 && !c.refusal.empty()) {
      err << "eventstream listen: " << options.url << " answered 200, but " << c.refusal << "\n";
      return 1;
    }
    if (c.deadline && Clock::now() >= *c.deadline) {
      if (!c.streamed) {
        err << "eventstream listen: no stream from " << options.url << " within " << options.timeout->count() / 1000.0
            << " s\n";
        return 1;
      }
      if (!options.count) return 0;
      err << "eventstream listen: " << c.received << " of " << *options.count << " events within "
          << options.timeout->count() / 1000.0 << " s\n";
      return 1;
    }
    if (c.status == 200) backoff = std::chrono::milliseconds(500); // it worked: the next break starts afresh
    // 3xx left after following redirects, or 4xx: the request is at fault, retrying will
    // not help. 5xx, 429 (this address holds too many connections) and broken streams may pass.
    if (c.status >= 300 && c.status < 500 && c.status != 429) {
      err << "eventstream listen: " << options.url << " answered " << c.status << ": " << first_line(c.refusal) << "\n";
      return 1;
    }
    std::string why = c.status && c.status != 200 ? "it answered " + std::to_string(c.status)
                      : rc == CURLE_OK            ? "the stream ended"
                                                  : curl_easy_strerror(rc);
    std::uniform_int_distribution<long> jitter(backoff.count() / 2, backoff.count());
    auto wait = std::chrono::milliseconds(jitter(random));
    if (c.retry_after > 0) { // a refusal said when: as a polite client does
      wait = std::chrono::seconds(std::min<curl_off_t>(c.retry_after, 3600));
      why += " (Retry-After: " + std::to_string(wait.count() / 1000) + " s)";
    }
    err << "eventstream listen: " << why << "; reconnecting" << (c.last_id.empty() ? "" : " from " + c.last_id)
        << "\n";
    if (c.deadline) wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(*c.deadline - Clock::now()));
    std::this_thread::sleep_for(std::max(wait, std::chrono::milliseconds(0)));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

} // namespace es::client
