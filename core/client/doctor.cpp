#include "client/doctor.hpp"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <charconv>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "sse/decoder.hpp"
#include "sse/json_text.hpp"
#include "util/outgoing_http.hpp"
#include "util/json_reader.hpp"
#include "util/url.hpp"

namespace es::client {
namespace {

using Clock = std::chrono::steady_clock;

struct Seen {
  sse::ReceivedEvent event;
  Clock::time_point at;
};

// One stream read on its own thread, as a browser would, with the time of everything.
class StreamWatch {
public:
  StreamWatch(const std::string& url, std::vector<std::string> headers, const TlsTrust& trust)
      : started_(Clock::now()) {
    thread_ = std::thread([this, url, headers = std::move(headers), trust] { run(url, headers, trust); });
  }
  ~StreamWatch() {
    stop_ = true;
    thread_.join();
  }
  StreamWatch(const StreamWatch&) = delete;
  StreamWatch& operator=(const StreamWatch&) = delete;

  // False when no head came (then error() says why).
  bool wait_head(Clock::duration timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return head_done_ || ended_; }) && head_done_;
  }
  // The first event from `from` on that `match`es, waiting up to `timeout`.
  std::optional<Seen> wait_event(const std::function<bool(const Seen&)>& match, Clock::duration timeout,
                                 std::size_t from = 0) {
    std::unique_lock lock(mutex_);
    std::optional<Seen> found;
    changed_.wait_for(lock, timeout, [&] {
      for (std::size_t i = from; i < events_.size(); ++i)
        if (match(events_[i])) return found = events_[i], true;
      return ended_;
    });
    return found;
  }
  // Waits until the stream ends or `until`; true when it ended.
  bool wait_end(Clock::time_point until) {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, until, [&] { return ended_; });
  }

  // What the reading thread found so far; each read is a copy taken under the lock.
  std::vector<Seen> events() { return locked(events_); }
  long status() { return locked(status_); }
  std::string header(const std::string& lower_name) {
    auto all = locked(headers_);
    auto it = all.find(lower_name);
    return it == all.end() ? "" : it->second;
  }
  Clock::time_point started() const { return started_; }
  Clock::time_point head_at() { return locked(head_at_); }
  // How long the request took to get on its way (DNS, TCP, TLS): not the server's doing.
  Clock::duration connecting() { return locked(connecting_); }
  Clock::time_point ended_at() { return locked(ended_at_); }
  std::string prefix() { return locked(prefix_); }
  std::string error() { return locked(error_); }
  int curl_code() { return locked(curl_code_); }
  long http_version() { return locked(http_version_); } // CURL_HTTP_VERSION_* of the answer

private:
  template <class T> T locked(const T& member) {
    std::lock_guard lock(mutex_);
    return member;
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto& self = *static_cast<StreamWatch*>(user);
    std::string line(data, size * count);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    std::lock_guard lock(self.mutex_);
    if (line.starts_with("HTTP/")) {
      self.headers_.clear(); // a new head (after a 1xx or a redirect)
      self.head_done_ = false;
      self.status_ = std::atol(line.c_str() + line.find(' ') + 1);
      curl_off_t pretransfer = 0;
      curl_easy_getinfo(self.curl_, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
      self.connecting_ = std::chrono::microseconds(pretransfer);
      curl_easy_getinfo(self.curl_, CURLINFO_HTTP_VERSION, &self.http_version_);
    } else if (line.empty()) {
      if (self.status_ >= 200) {
        self.head_done_ = true;
        self.head_at_ = Clock::now();
        self.changed_.notify_all();
      }
    } else if (auto colon = line.find(':'); colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      self.headers_[name] = line.substr(line.find_first_not_of(' ', colon + 1) == std::string::npos
                                            ? line.size()
                                            : line.find_first_not_of(' ', colon + 1));
    }
    return size * count;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto& self = *static_cast<StreamWatch*>(user);
    std::size_t n = size * count;
    auto now = Clock::now();
    std::lock_guard lock(self.mutex_);
    if (self.prefix_.size() < 4096) self.prefix_.append(data, std::min(n, 4096 - self.prefix_.size()));
    self.decoder_.feed(std::string_view(data, n), [&](const sse::ReceivedEvent& e) {
      self.events_.push_back({e, now});
      return true;
    });
    self.changed_.notify_all();
    return n;
  }

  static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<StreamWatch*>(user)->stop_ ? 1 : 0;
  }

  void run(const std::string& url, const std::vector<std::string>& headers, const TlsTrust& trust) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    curl_ = curl.get();
    set_tls(curl.get(), trust);
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    // An HTTPS proxy's "200 Connection established" is not the stream's answer.
    curl_easy_setopt(curl.get(), CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, this);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, this);
    curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    // Bytes as they come, compressed or not: decompressing is what a browser does too.
    curl_easy_setopt(curl.get(), CURLOPT_ACCEPT_ENCODING, "");
    CURLcode rc = curl_easy_perform(curl.get());
    curl_slist_free_all(list);
    std::lock_guard lock(mutex_);
    ended_ = true;
    ended_at_ = Clock::now();
    if (rc != CURLE_OK && !stop_) {
      error_ = error[0] ? error : curl_easy_strerror(rc);
      curl_code_ = rc;
    }
    changed_.notify_all();
  }

  const Clock::time_point started_;
  CURL* curl_ = nullptr;
  Clock::duration connecting_{};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  long status_ = 0;
  bool head_done_ = false;
  Clock::time_point head_at_{}, ended_at_{};
  std::map<std::string, std::string> headers_;
  std::string prefix_;
  sse::Decoder decoder_;
  std::vector<Seen> events_;
  bool ended_ = false;
  std::string error_;
  int curl_code_ = 0;
  long http_version_ = 0;
  std::thread thread_;
};

std::string ms(Clock::duration d) {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  char text[32];
  if (millis < 1000) std::snprintf(text, sizeof text, "%lld ms", static_cast<long long>(millis));
  else std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(millis) / 1000);
  return text;
}

class Report {
public:
  explicit Report(std::ostream& out) : out_(out) {}
  void ok(const std::string& text) { line("ok     ", text); }
  void note(const std::string& text) { line("note   ", text); }
  // Works now, but will not for every client: not counted as a problem.
  void warn(const std::string& text, const std::string& fix) {
    ++warnings_;
    line("WARN   ", text + "\n          fix: " + fix);
  }
  void problem(const std::string& text, const std::string& fix) {
    ++problems_;
    line("PROBLEM", text + "\n          fix: " + fix);
  }
  int finish() {
    out_ << (problems_ ? std::to_string(problems_) + (problems_ == 1 ? " problem" : " problems") : "no problems")
         << " found"
         << (warnings_ ? ", " + std::to_string(warnings_) + (warnings_ == 1 ? " warning" : " warnings") : "") << "\n";
    return problems_ ? 1 : 0;
  }

private:
  void line(const char* mark, const std::string& text) { out_ << "  " << mark << "  " << text << "\n" << std::flush; }
  std::ostream& out_;
  int problems_ = 0;
  int warnings_ = 0;
};

const std::string buffering_fix =
    "turn buffering off for this path: nginx `proxy_buffering off;` (eventstream sends X-Accel-Buffering: no, "
    "which nginx obeys unless `proxy_ignore_headers` drops it), no gzip/brotli for text/event-stream, and no "
    "CDN caching of the URL";

// The first `channel=` of the URL's query.
std::string channel_of(const std::string& url) {
  auto q = url.find('?');
  if (q == std::string::npos) return "";
  for (const auto& [key, value] : parse_query(std::string_view(url).substr(q + 1)))
    if (key == "channel") return value;
  return "";
}

// `id` with `channel`'s count lowered by one: the position just before that event.
std::string position_before(const std::string& id, const std::string& channel) {
  std::string encoded = percent_encode(channel) + ":", out;
  std::size_t at = 0;
  while (at <= id.size()) {
    auto comma = std::min(id.find(',', at), id.size());
    std::string pair = id.substr(at, comma - at);
    std::uint64_t count = 0;
    auto digits = std::string_view(pair).substr(std::min(pair.size(), encoded.size()));
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (pair.starts_with(encoded) && ec == std::errc() && end == digits.data() + digits.size() && count > 0)
      pair = encoded + std::to_string(count - 1);
    out += (out.empty() ? "" : ",") + pair;
    at = comma + 1;
  }
  return out;
}

void check_head(StreamWatch& stream, Report& report) {
  std::string type = stream.header("content-type"), encoding = stream.header("content-encoding");
  if (!type.starts_with("text/event-stream"))
    report.problem("the answer is " + (type.empty() ? "untyped" : type) + ", not text/event-stream",
                   "make sure the URL reaches the stream route, not an error or login page of something in front");
  if (!encoding.empty())
    report.problem("the stream is compressed (Content-Encoding: " + encoding + "); compressors hold small writes back",
                   "do not compress text/event-stream (nginx: leave it out of gzip_types; CDNs: a no-compression rule)");
  if (!stream.header("content-length").empty())
    report.problem("the answer has Content-Length: something collected the whole stream before sending it",
                   buffering_fix);
  std::string cache = stream.header("cache-control");
  if (cache.find("no-cache") == std::string::npos && cache.find("no-store") == std::string::npos)
    report.note("no Cache-Control: no-cache; a cache in between could serve an old stream");
  std::string between;
  for (const char* name : {"via", "x-cache", "cf-ray", "x-served-by", "x-amz-cf-id", "server"}) {
    std::string value = stream.header(name);
    if (!value.empty() && value != "eventstream") between += std::string(between.empty() ? "" : ", ") + name + ": " + value;
  }
  if (!between.empty()) report.note("in between: " + between);
}

// Browsers open at most 6 HTTP/1.1 connections per origin, shared by all their tabs, and
// each EventSource holds one; over HTTP/2 all of them share one connection.
void check_http_version(StreamWatch& stream, const std::string& url, Report& report) {
  long version = stream.http_version();
  if (version == CURL_HTTP_VERSION_2_0 || version == CURL_HTTP_VERSION_3) {
    report.ok(std::string(version == CURL_HTTP_VERSION_3 ? "HTTP/3" : "HTTP/2") +
              ": every stream of a page to this origin shares one connection");
    return;
  }
  std::string name = version == CURL_HTTP_VERSION_1_0 ? "HTTP/1.0" : "HTTP/1.1";
  report.warn(name + ": a browser opens at most 6 connections to this origin, for all its tabs together, so a page "
                     "opening more than 6 streams here has the 7th wait until another closes",
              url.starts_with("https://")
                  ? "let whatever answers HTTPS in front of the server (proxy, CDN, load balancer) speak HTTP/2, "
                    "or let eventstream answer it (serve --tls-cert FILE --tls-key FILE serves HTTP/2)"
                  : "serve HTTPS (eventstream serve --tls-cert FILE --tls-key FILE, or --tls-self-signed for local "
                    "development): browsers speak HTTP/2, which carries every stream on one connection, only "
                    "over TLS");
}

void check_first_event(StreamWatch& stream, Report& report) {
  auto first = stream.wait_event([](const Seen&) { return true; }, std::chrono::seconds(5));
  std::string prefix = stream.prefix();
  bool padded = prefix.size() >= 2049 && prefix[0] == ':' && prefix.find_first_not_of(' ', 1) >= 2049;
  if (!first) {
    report.problem("no event arrived within 5 s of the headers", buffering_fix);
    return;
  }
  auto delay = first->at - stream.head_at();
  if (delay > std::chrono::seconds(1)) {
    report.problem("the first event (" + first->event.type + ") came " + ms(delay) + " after the headers",
                   buffering_fix);
  } else {
    report.ok("first event (" + first->event.type + ") " + ms(delay) + " after the headers");
  }
  if (padded)
    report.ok(delay <= std::chrono::seconds(1)
                  ? "the 2 KiB padding comment is sent; this path does not need it (it flushes at once), old "
                    "browsers and some antivirus proxies do"
                  : "the 2 KiB padding comment is sent, and still the first event waited: more than 2 KiB is held");
  else if (delay > std::chrono::seconds(1))
    report.note("no padding comment: a server sending 2 KiB of padding first might get past this buffer");
}

// Publishes a probe; returns the id the server gave it ("" when not stored), or nullopt.
std::optional<std::string> publish_probe(const DoctorOptions& options, const std::string& channel, Report& report) {
  std::string url = options.publish_url;
  if (!url.ends_with("/publish/")) url += url.ends_with("/") ? "publish/" : "/publish/";
  std::string body = "{\"channel\": ";
  sse::append_python_json_string(body, channel);
  body += ", \"type\": \"doctor-probe\", \"data\": {\"probe\": \"eventstream doctor\"}}";
  std::vector<std::string> headers;
  if (!options.key.empty()) headers.push_back("Authorization: Bearer " + options.key);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  auto answer = http_post(curl.get(), url, body, headers, std::chrono::seconds(10), options.tls);
  if (!answer.ok()) {
    auto advice = tls_advice(answer.curl_code);
    report.problem("the probe could not be published to " + url + ": " +
                       (answer.sent ? std::to_string(answer.status) + " " + answer.body : answer.error),
                   advice.empty() ? "check --publish-url (the server's /publish/) and --key" : advice);
    return std::nullopt;
  }
  rapidjson::Document doc;
  if (read_json(doc, answer.body).empty() && doc.IsObject() && doc.HasMember("ids") && doc["ids"].IsArray() &&
      !doc["ids"].Empty() && doc["ids"][0].IsString())
    return std::string(doc["ids"][0].GetString());
  return std::string();
}

void check_idle(StreamWatch& stream, const DoctorOptions& options, Report& report) {
  auto start = Clock::now();
  bool cut = stream.wait_end(start + options.idle);
  auto events = stream.events();
  std::size_t beats = std::count_if(events.begin(), events.end(), [&](const Seen& s) {
    return s.event.type == "keep-alive" && s.at >= start;
  });
  std::string beat_text = beats == 0 ? "no keep-alive came"
                                     : std::to_string(beats) + " keep-alive" + (beats == 1 ? "" : "s");
  if (cut) {
    auto last = events.empty() ? stream.head_at() : std::max(stream.head_at(), events.back().at);
    report.problem("the stream was closed " + ms(stream.ended_at() - stream.head_at()) + " after it opened, " +
                       ms(stream.ended_at() - last) + " after anything arrived: something in between closes "
                       "idle connections",
                   "send keep-alives more often than that timeout (eventstream serve --keep-alive SECONDS), or "
                   "raise it (nginx proxy_read_timeout, load balancer idle timeout); clients reconnect, but "
                   "each cut costs a reconnection");
    return;
  }
  report.ok("an idle stream stayed open " + ms(Clock::now() - start) + " (" + beat_text + ")");
  if (beats == 0 && options.idle >= std::chrono::seconds(25))
    report.note("nothing arrived for " + ms(options.idle) +
                "; proxies that cut connections idle for 30-60 s would cut this one");
}

void check_resume(const DoctorOptions& options, const std::vector<std::string>& headers, const std::string& position,
                  bool probing, Report& report) {
  auto with = headers;
  with.push_back("Last-Event-ID: " + position);
  StreamWatch again(options.url, with, options.tls);
  auto after = again.wait_event(
      [&](const Seen& s) { return s.event.type == "doctor-probe" || s.event.type == "stream-reset"; },
      std::chrono::seconds(probing ? 5 : 2));
  if (after && after->event.type == "stream-reset") {
    report.problem("reconnecting with Last-Event-ID: " + position + " gave a stream-reset, not the events after it",
                   "store the channel (eventstream serve --reliable) and keep events long enough (--retention)");
  } else if (probing && !after) {
    report.problem("reconnecting with Last-Event-ID: " + position + " did not replay the probe",
                   "something drops the Last-Event-ID header; clients can send ?lastEventId= instead "
                   "(/static/eventstream.js does)");
  } else {
    report.ok(probing ? "Last-Event-ID resumes: reconnecting from just before the probe replayed it"
                      : "Last-Event-ID " + position + " was accepted without a reset");
  }
}

} // namespace

int doctor(const DoctorOptions& options, std::ostream& out) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  Report report(out);
  out << "eventstream doctor " << options.url << "\n";
  std::vector<std::string> headers{"Accept: text/event-stream", "Cache-Control: no-cache"};
  if (!options.token.empty()) headers.push_back("Authorization: Bearer " + options.token);

  StreamWatch stream(options.url, headers, options.tls);
  if (!stream.wait_head(std::chrono::seconds(15))) {
    std::string error = stream.error();
    auto advice = tls_advice(stream.curl_code());
    report.problem(error.empty() ? "no answer within 15 s" : "cannot open the stream: " + error,
                   advice.empty() ? "check the URL, and that the server (and whatever is in front of it) is running"
                                  : advice);
    return report.finish();
  }
  if (stream.status() != 200) {
    stream.wait_end(Clock::now() + std::chrono::seconds(2));
    std::string body = stream.prefix().substr(0, 200);
    report.problem("the stream answered " + std::to_string(stream.status()) + ": " + body.substr(0, body.find('\n')),
                   "check the URL (the stream route, its channels) and the token");
    return report.finish();
  }
  auto head_delay = stream.head_at() - stream.started() - stream.connecting();
  if (head_delay > std::chrono::seconds(1))
    report.problem("the headers took " + ms(head_delay) + ": the answer is held back before it starts", buffering_fix);
  else
    report.ok("200 " + ms(head_delay) + " after the request (connecting took " + ms(stream.connecting()) + "), " +
              stream.header("content-type"));
  check_head(stream, report);
  check_http_version(stream, options.url, report);
  check_first_event(stream, report);
  auto stream_error = stream.wait_event([](const Seen& s) { return s.event.type == "stream-error"; },
                                        std::chrono::milliseconds(0));
  if (stream_error) {
    report.problem("the server ended the stream with an error: " + stream_error->event.data,
                   "fix what it says (channels, permissions, the token) and run doctor again");
    return report.finish();
  }

  std::string channel = channel_of(options.url);
  std::optional<std::string> probe_id;
  if (options.publish_url.empty()) {
    report.note("no --publish-url: events were not timed end to end, nor resumption after a known event");
  } else if (channel.empty()) {
    report.note("the URL names no ?channel=, so no probe was published");
  } else if (stream.wait_end(Clock::now())) {
    report.note("the stream had already closed, so no probe was published");
  } else if ((probe_id = publish_probe(options, channel, report))) {
    auto sent = Clock::now();
    auto probe = stream.wait_event([](const Seen& s) { return s.event.type == "doctor-probe"; },
                                   std::chrono::seconds(10));
    if (!probe) {
      if (stream.wait_end(Clock::now())) report.note("the stream closed before the published probe could arrive");
      else report.problem("a published probe did not arrive within 10 s", buffering_fix);
      probe_id.reset();
    } else {
      auto delay = probe->at > sent ? probe->at - sent : Clock::duration{};
      if (delay > std::chrono::seconds(1))
        report.problem("a published probe took " + ms(delay) + " to arrive: the stream is held back", buffering_fix);
      else
        report.ok("a published probe arrived " + ms(delay) + " after it was sent");
      if (probe->event.id && !probe_id->empty()) *probe_id = position_before(*probe->event.id, channel);
      else probe_id.reset();
    }
  }

  if (options.idle.count() > 0) check_idle(stream, options, report);

  std::string last;
  for (const auto& seen : stream.events())
    if (seen.event.id && *seen.event.id != "error") last = *seen.event.id;
  if (probe_id) check_resume(options, headers, *probe_id, true, report);
  else if (!last.empty()) check_resume(options, headers, last, false, report);
  else report.note("no event with an id came, so resumption was not tried");
  return report.finish();
}

} // namespace es::client
