// loadgen: the benchmark kit's load generator. It drives one SSE server (eventstream,
// nginx+nchan or Pushpin) with N subscribers and a paced or flat-out publisher, checks
// every event each subscriber receives (loss, duplicates, order) and measures
// publish-to-receive latency from a CLOCK_MONOTONIC timestamp carried in the payload,
// so several loadgen processes on one machine agree on time.
//
// The storm workload (eventstream only) measures what a crowd of clients catching up
// from storage costs live subscribers: it stores --replay-events on --replay-channel,
// times live delivery on --channel for --quiet seconds, then has --replay-clients resume
// from the stored channel's start while the live events go on, and checks that every
// replaying client got every stored event once, in order, and every live subscriber
// every live event.
//
// Subscribers speak HTTP/1.1, in the clear or over TLS for https:// URLs; with --h2 they
// are HTTP/2 streams, --streams-per-connection of them multiplexed on each connection
// (h2_subscribers.hpp). The handshakes workload times new connections (handshakes.hpp).
//
// With --channels N the subscribers are spread over N channels, `<--channel>-<K>` for K
// from --channel-offset on (subscriber i takes K = offset + i mod N, on the --sub-url
// number K mod the URLs given, so that a channel lives on one server), and each event goes
// to one of the range's channels at random. Each publisher numbers its events per channel,
// so order is still checked per publisher on every stream, and a subscriber is due the
// events its channel was accepted, not all of them. Separate processes can own disjoint
// ranges: a publishing run writes what each channel was accepted (--counts-file), which is
// what a --workload listen process reads from its --until-file.
//
// One thread by default: the server under test should have the cores. Subscribers keep
// a small read buffer and parse only what they must (chunk framing, `data:` lines).
#include <cctype>
#include <sys/resource.h>
#include <unistd.h>

#include <iterator>

#include <algorithm>
#include <atomic>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <utility>

#include <boost/asio.hpp>
#include <CLI/CLI.hpp>

#include "client_stream.hpp"
#include "event_reader.hpp"
#include "h2_subscribers.hpp"
#include "handshakes.hpp"
#include "lane.hpp"
#include "url.hpp"

namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
using namespace loadgen;

namespace {

enum class Target { eventstream, nchan, pushpin, mercure };

struct Options {
  Target target = Target::eventstream;
  std::string target_name = "eventstream";
  std::string label;
  std::string workload = "fanout";
  std::vector<Url> subs, pubs; // subscribers and publishers take them in turn (several instances)
  std::string channel = "bench";
  int channels = 0; // 0: every subscriber and event on `channel`; else `channel-K`, K in [offset, offset+channels)
  int channel_offset = 0;
  std::uint64_t seed = 1; // which channel each event goes to
  std::string counts_file; // publishing, --channels: accepted events per channel, written at the end
  std::string token; // mercure: the publisher JWT
  int subscribers = 100;
  int sources = 1;
  int connect_rate = 5000;
  double rate = 100;
  double duration = 5;
  int publishers = 1;
  int batch = 1;
  int size = 0;
  int replay_events = 100000;
  int replay_clients = 0;
  std::string replay_channel = "replay";
  double quiet = 5;
  double storm_timeout = 300;
  double hold = 2;
  bool h2 = false;
  int streams_per_connection = 100;
  int handshakes = 1000;
  int concurrency = 50;
  std::vector<int> server_pids;
  std::string json;
  std::string ready_file, until_file; // listen: the handshake with whoever publishes
};

// ---- results ---------------------------------------------------------------------

struct Stats {
  int connected = 0, connect_errors = 0, disconnected = 0;
  std::uint64_t published = 0, accepted = 0, publish_errors = 0;
  std::uint64_t deliveries = 0, reordered = 0;
  std::vector<std::uint32_t> latency_us;
  std::vector<std::int64_t> latency_sent_ns; // when each event of latency_us was published
  double publish_seconds = 0, deliver_seconds = 0;
  std::int64_t publish_start_ns = 0, last_delivery_ns = 0;
  std::map<std::string, int> error_reasons;
  std::uint64_t missing = 0; // listen, storm: events some connected subscriber never got
  std::uint64_t expected = 0; // storm, --channels: deliveries due (live and replayed; per channel)
  // storm: live latency before and during the replay, and the replay itself
  std::vector<std::uint32_t> quiet_latency_us, storm_latency_us;
  std::uint64_t stored = 0, replayed = 0;
  int replay_connected = 0;
  double replay_seconds = 0;
  double server_cpu_seconds = 0; // fanout, publish: while publishing and delivering
};

long rss_kib(const std::vector<int>& pids) {
  long total = 0;
  for (int pid : pids) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("VmRSS:", 0) == 0) total += std::stol(line.substr(6));
  }
  return total;
}

// User and system CPU seconds the server processes have used (/proc/PID/stat). On a
// machine the load generator shares, deliveries/s also carry the client's costs; the
// server's CPU per delivery does not.
double cpu_seconds(const std::vector<int>& pids) {
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  for (int pid : pids) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto after_name = text.rfind(')'); // the command name may hold spaces
    if (after_name == std::string::npos) continue;
    std::istringstream fields(text.substr(after_name + 2));
    std::string field;
    unsigned long long user = 0, system = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) { // state is field 3, utime 14, stime 15
      if (i == 14) user = std::stoull(field);
      if (i == 15) system = std::stoull(field);
    }
    total += static_cast<double>(user + system) / ticks;
  }
  return total;
}

// ---- payload -----------------------------------------------------------------------

// The same bytes eventstream writes back (Python-style JSON), so every server's
// subscribers see identical data.
// Each publisher numbers its own events: concurrent publishers have no order between
// them, so order is checked per publisher.
std::string payload(int publisher, std::uint64_t seq, std::int64_t t, const std::string& pad) {
  return "{\"p\": " + std::to_string(publisher) + ", \"seq\": " + std::to_string(seq) + ", \"t\": " +
         std::to_string(t) + ", \"pad\": \"" + pad + "\"}";
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string form_encoded(const std::string& s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += '%', out += hex[c >> 4], out += hex[c & 15];
  }
  return out;
}

// The channel of index `k`: --channel itself unless the run spreads over --channels.
std::string channel_name(const Options& o, int k) {
  return o.channels > 0 ? o.channel + "-" + std::to_string(k) : o.channel;
}

// One event of a publish request: its channel's index and its number there.
struct Slot {
  int channel = 0;
  std::uint64_t seq = 0;
};

std::string publish_request(const Options& o, const Url& url, int publisher, const std::vector<Slot>& events,
                            const std::string& pad) {
  std::string body;
  std::int64_t t = now_ns();
  switch (o.target) {
  case Target::eventstream:
    body = "{\"items\": [";
    for (std::size_t i = 0; i < events.size(); ++i)
      body += std::string(i ? ", " : "") + "{\"channel\": \"" + channel_name(o, events[i].channel) +
              "\", \"type\": \"m\", \"data\": " + payload(publisher, events[i].seq, t, pad) + "}";
    body += "]}";
    break;
  case Target::nchan: body = payload(publisher, events.front().seq, t, pad); break;
  case Target::mercure:
    body = "topic=" + form_encoded(channel_name(o, events.front().channel)) +
           "&data=" + form_encoded(payload(publisher, events.front().seq, t, pad));
    return "POST " + url.target + " HTTP/1.1\r\nHost: " + url.host +
           "\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: Bearer " + o.token +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  case Target::pushpin:
    body = "{\"items\": [";
    for (std::size_t i = 0; i < events.size(); ++i)
      body += std::string(i ? ", " : "") + "{\"channel\": \"" + channel_name(o, events[i].channel) +
              "\", \"formats\": {\"http-stream\": {\"content\": \"" +
              json_escape("event: m\ndata: " + payload(publisher, events[i].seq, t, pad) + "\n\n") + "\"}}}";
    body += "]}";
    break;
  }
  return "POST " + url.target + " HTTP/1.1\r\nHost: " + url.host + "\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// ---- HTTP response framing -----------------------------------------------------------

// Incremental body decoder for one response: chunked, sized or until close.
class BodyReader {
public:
  // Feeds raw bytes; appends body bytes to `out`. Returns false on malformed input.
  bool feed(std::string_view in, std::string& out) {
    while (!in.empty()) {
      if (!chunked_) {
        out.append(in);
        return true;
      }
      if (chunk_left_ > 0) {
        std::size_t n = std::min<std::size_t>(chunk_left_, in.size());
        out.append(in.substr(0, n));
        chunk_left_ -= n;
        in.remove_prefix(n);
        continue;
      }
      line_.append(in.substr(0, in.find('\n') == std::string_view::npos ? in.size() : in.find('\n') + 1));
      in.remove_prefix(std::min(in.size(), in.find('\n') == std::string_view::npos ? in.size() : in.find('\n') + 1));
      if (line_.empty() || line_.back() != '\n') continue;
      if (line_ == "\r\n" || line_ == "\n") { // the CRLF after a chunk's data
        line_.clear();
        continue;
      }
      std::size_t size = 0;
      auto res = std::from_chars(line_.data(), line_.data() + line_.size(), size, 16);
      if (res.ec != std::errc{}) return false;
      line_.clear();
      if (size == 0) ended_ = true;
      chunk_left_ = size;
    }
    return true;
  }
  void set_chunked(bool chunked) { chunked_ = chunked; }
  bool ended() const { return ended_; }

private:
  bool chunked_ = false;
  bool ended_ = false;
  std::size_t chunk_left_ = 0;
  std::string line_;
};

// ---- subscribers -------------------------------------------------------------------

class Run;

// One HTTP/1.1 subscriber: its own connection, in the clear or over TLS (ALPN http/1.1).
class Subscriber : public std::enable_shared_from_this<Subscriber> {
public:
  Subscriber(net::ssl::context* tls, std::shared_ptr<EventReader> events)
      : lane_(events->lane()), stream_(lane_.ioc, tls), events_(std::move(events)) {}
  void start(const tcp::endpoint& server, const net::ip::address& source, const std::string& host,
             const std::string& request);

private:
  void read();
  void on_bytes(std::string_view bytes);

  Lane& lane_;
  ClientStream stream_;
  std::shared_ptr<EventReader> events_;
  std::string request_;
  std::array<char, 16384> buffer_{};
  std::string head_;
  BodyReader body_reader_;
  std::string body_; // what the last read held of the body, unchunked
  bool in_head_ = true;
  bool refused_ = false; // answered other than 200, closed here: its read's error is not another failure
};

// ---- publishers ----------------------------------------------------------------------

class Publisher : public std::enable_shared_from_this<Publisher> {
public:
  Publisher(Run& run, net::io_context& ioc, int index, const Url& url);
  void connect(const tcp::endpoint& server, std::function<void()> ready);
  void reconnect_then_idle();
  bool idle() const { return idle_; }
  int index() const { return index_; }
  void send(int count);

private:
  void read_response();
  Run& run_;
  tcp::socket socket_;
  int index_;
  const Url& url_;
  std::vector<std::uint64_t> next_seq_; // per channel of the range (one without --channels)
  std::mt19937_64 pick_; // the channel of each event
  tcp::endpoint server_;
  std::string request_;
  std::string response_;
  std::array<char, 8192> buffer_{};
  std::vector<Slot> in_flight_;
  bool idle_ = false;
};

// ---- the run -------------------------------------------------------------------------

class Run {
public:
  Run(Options o, int threads) : o_(std::move(o)), pad_(static_cast<std::size_t>(o_.size), 'x') {
    for (int i = 0; i < threads; ++i) lanes_.push_back(std::make_unique<Lane>());
    for (auto& lane : lanes_) {
      guards_.emplace_back(net::make_work_guard(lane->ioc));
      lane_threads_.emplace_back([&ioc = lane->ioc] { ioc.run(); });
    }
  }
  ~Run() { stop_lanes(); }

  Stats execute();

  // Called by publishers.
  void on_published(const std::vector<Slot>& events, bool ok) {
    if (!ok) {
      stats_.publish_errors += events.size();
      return;
    }
    stats_.accepted += events.size();
    for (auto& e : events) ++accepted_per_channel_[static_cast<std::size_t>(e.channel - o_.channel_offset)];
  }
  void publisher_idle(Publisher& p);

  const Options& options() const { return o_; }
  // Accepted events per channel of the range, index 0 = --channel-offset.
  const std::vector<std::uint64_t>& accepted_per_channel() const { return accepted_per_channel_; }

private:
  // Subscribers of `channel` (the --sub-url's channel= swapped for it), resuming after
  // `last_event_id` unless empty; replaying ones are counted apart and not timed.
  void connect_subscribers(int count, const std::string& last_event_id, const std::string& channel,
                           bool replaying = false);
  // --channels: each subscriber's due (its channel's accepted count) into expected and missing.
  void check_per_channel(const std::vector<std::uint64_t>& accepted);
  std::uint64_t fill(std::uint64_t count);
  Stats storm();
  void drain();
  Stats finish();
  void stop_lanes();
  int connected() const;
  int connect_errors() const;
  std::uint64_t deliveries() const;
  std::uint64_t replayed() const;
  std::int64_t last_replayed_ns() const;
  std::int64_t last_delivery_ns() const;
  bool wait_until(const std::function<bool()>& done, double seconds);
  void connect_publishers();
  bool all_publishers_idle() const {
    return std::all_of(publishers_.begin(), publishers_.end(), [](auto& p) { return p->idle(); });
  }
  void pace();

  Options o_;
  std::string pad_;
  // Subscribers' over https:// (ALPN h2 with --h2, else http/1.1); outlives the lanes.
  std::unique_ptr<net::ssl::context> tls_ = client_tls(o_.h2 ? "h2" : "http/1.1");
  net::io_context ioc_{1}; // publishers and pacing, run by the main thread
  net::executor_work_guard<net::io_context::executor_type> main_guard_ = net::make_work_guard(ioc_);
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards_;
  std::vector<std::thread> lane_threads_;
  std::vector<tcp::endpoint> sub_endpoints_, pub_endpoints_;
  std::vector<std::shared_ptr<EventReader>> subscribers_; // in the order connected, whatever carries them
  std::vector<int> subscriber_channel_; // --channels: each subscriber's channel index, as subscribers_
  std::vector<std::uint64_t> accepted_per_channel_ =
      std::vector<std::uint64_t>(static_cast<std::size_t>(std::max(1, o_.channels)), 0);
  std::vector<std::shared_ptr<Publisher>> publishers_;
  Stats stats_;
  std::uint64_t next_seq_ = 0;
  std::size_t next_publisher_ = 0; // paced: the publisher asked first at the next tick
  std::uint64_t target_seq_ = 0; // paced: how many should be sent by now
  std::uint64_t limit_ = UINT64_MAX; // flat out: how many in all
  bool publishing_ = false;
  std::unique_ptr<net::steady_timer> pacer_;
  Clock::time_point publish_start_;
};

void Subscriber::start(const tcp::endpoint& server, const net::ip::address& source, const std::string& host,
                       const std::string& request) {
  request_ = request;
  stream_.connect(server, source, host, [self = shared_from_this()](const std::string& failed, error_code e) {
    if (!failed.empty()) return self->lane_.on_error(false, failed + ": " + e.message());
    self->stream_.async_write(net::buffer(self->request_), [self](error_code we, std::size_t) {
      if (we) return self->lane_.on_error(false, "request: " + we.message());
      self->read();
    });
  });
}

void Subscriber::read() {
  stream_.async_read_some(net::buffer(buffer_), [self = shared_from_this()](error_code ec, std::size_t n) {
    if (self->refused_) return;
    if (ec) return self->lane_.on_error(self->events_->ready(), "read: " + ec.message());
    self->on_bytes({self->buffer_.data(), n});
    self->read();
  });
}

void Subscriber::on_bytes(std::string_view bytes) {
  if (in_head_) {
    head_.append(bytes);
    auto end = head_.find("\r\n\r\n");
    if (end == std::string::npos) return;
    std::string rest = head_.substr(end + 4);
    std::string lower = head_.substr(0, end);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    body_reader_.set_chunked(lower.find("transfer-encoding: chunked") != std::string::npos);
    in_head_ = false;
    bool ok = head_.compare(0, 12, "HTTP/1.1 200") == 0 || head_.compare(0, 12, "HTTP/1.0 200") == 0;
    std::string status_line = head_.substr(0, head_.find('\r'));
    head_.clear();
    head_.shrink_to_fit();
    if (!ok) {
      refused_ = true;
      stream_.close();
      return lane_.on_error(false, "answer: " + status_line);
    }
    events_->mark_ready();
    return on_bytes(rest);
  }
  body_.clear();
  if (!body_reader_.feed(bytes, body_)) return lane_.on_error(true, "malformed chunked body");
  events_->feed(body_);
}

void Publisher::connect(const tcp::endpoint& server, std::function<void()> ready) {
  server_ = server;
  socket_.async_connect(server, [self = shared_from_this(), ready = std::move(ready)](error_code ec) {
    if (ec) {
      std::cerr << "loadgen: cannot connect a publisher: " << ec.message() << "\n";
      std::exit(1);
    }
    self->socket_.set_option(tcp::no_delay(true));
    self->idle_ = true;
    ready();
  });
}

Publisher::Publisher(Run& run, net::io_context& ioc, int index, const Url& url)
    : run_(run), socket_(ioc), index_(index), url_(url),
      next_seq_(static_cast<std::size_t>(std::max(1, run.options().channels)), 0),
      pick_(run.options().seed * 1000003 + static_cast<std::uint64_t>(index)) {}

void Publisher::send(int count) {
  const Options& o = run_.options();
  idle_ = false;
  in_flight_.clear();
  for (int i = 0; i < count; ++i) {
    std::size_t k = o.channels > 0 ? std::uniform_int_distribution<std::size_t>(0, next_seq_.size() - 1)(pick_) : 0;
    in_flight_.push_back({o.channel_offset + static_cast<int>(k), next_seq_[k]++});
  }
  request_ = publish_request(o, url_, index_, in_flight_, std::string(static_cast<std::size_t>(o.size), 'x'));
  net::async_write(socket_, net::buffer(request_), [self = shared_from_this()](error_code ec, std::size_t) {
    if (ec) {
      self->run_.on_published(self->in_flight_, false);
      return;
    }
    self->response_.clear();
    self->read_response();
  });
}

// Reads one response: its head, then its body by Content-Length or chunks.
void Publisher::read_response() {
  socket_.async_read_some(net::buffer(buffer_), [self = shared_from_this()](error_code ec, std::size_t n) {
    if (ec) {
      self->run_.on_published(self->in_flight_, false);
      return;
    }
    self->response_.append(self->buffer_.data(), n);
    auto end = self->response_.find("\r\n\r\n");
    if (end == std::string::npos) return self->read_response();
    std::string lower = self->response_.substr(0, end);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    std::size_t body = self->response_.size() - end - 4;
    auto cl = lower.find("content-length:");
    if (cl != std::string::npos) {
      if (body < static_cast<std::size_t>(std::stoul(lower.substr(cl + 15)))) return self->read_response();
    } else if (lower.find("chunked") != std::string::npos) {
      if (self->response_.find("\r\n0\r\n\r\n", end) == std::string::npos &&
          self->response_.compare(end + 4, 5, "0\r\n\r\n") != 0)
        return self->read_response();
    }
    bool ok = self->response_.size() > 9 && self->response_[9] == '2';
    self->run_.on_published(self->in_flight_, ok);
    if (lower.find("connection: close") != std::string::npos) return self->reconnect_then_idle();
    self->idle_ = true;
    self->run_.publisher_idle(*self);
  });
}

// Some servers (Pushpin) close the connection after every publish answer.
void Publisher::reconnect_then_idle() {
  error_code ignored;
  socket_.close(ignored);
  socket_.async_connect(server_, [self = shared_from_this()](error_code ec) {
    if (ec) {
      std::cerr << "loadgen: cannot reconnect a publisher: " << ec.message() << "\n";
      return;
    }
    self->socket_.set_option(tcp::no_delay(true));
    self->idle_ = true;
    self->run_.publisher_idle(*self);
  });
}

void Run::publisher_idle(Publisher& p) {
  if (!publishing_) return;
  std::uint64_t due = o_.rate > 0 ? target_seq_ : limit_;
  if (next_seq_ >= due) return;
  int count = static_cast<int>(std::min<std::uint64_t>(static_cast<std::uint64_t>(o_.batch), due - next_seq_));
  if (o_.target == Target::nchan || o_.target == Target::mercure) count = 1;
  p.send(count);
  next_publisher_ = static_cast<std::size_t>(p.index() + 1) % publishers_.size();
  next_seq_ += static_cast<std::uint64_t>(count);
  stats_.published += static_cast<std::uint64_t>(count);
}

void Run::pace() {
  if (!publishing_) return;
  double elapsed = std::chrono::duration<double>(Clock::now() - publish_start_).count();
  if (elapsed >= o_.duration) {
    publishing_ = false;
    stats_.publish_seconds = elapsed;
    return;
  }
  target_seq_ = static_cast<std::uint64_t>(o_.rate * elapsed);
  // From the one after the last to send: below their capacity the publishers (and the
  // instances they publish to) take the events in turn, not the first one all of them.
  for (std::size_t n = 0, first = next_publisher_; n < publishers_.size(); ++n) {
    auto& p = publishers_[(first + n) % publishers_.size()];
    if (p->idle()) publisher_idle(*p);
  }
  pacer_->expires_after(std::chrono::milliseconds(1));
  pacer_->async_wait([this](error_code) { pace(); });
}

// The --sub-url's target with its `channel=<--channel>` swapped for `channel=<channel>`.
std::string subscribe_target(const Options& o, const Url& url, const std::string& channel) {
  std::string target = url.target;
  if (channel == o.channel) return target;
  auto at = target.find("channel=" + o.channel);
  if (at == std::string::npos) {
    std::cerr << "loadgen: --sub-url " << target << " has no channel=" << o.channel << " to swap for channel="
              << channel << "; give --channel as it appears in the URL\n";
    std::exit(2);
  }
  return target.replace(at + 8, o.channel.size(), channel);
}

void Run::connect_subscribers(int count, const std::string& last_event_id, const std::string& channel,
                              bool replaying) {
  // One request per URL (and, with --channels, per channel as it comes up).
  auto http1_request = [&](const Url& url, const std::string& target) {
    return "GET " + target + " HTTP/1.1\r\nHost: " + url.host +
           "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n" +
           (last_event_id.empty() ? "" : "Last-Event-ID: " + last_event_id + "\r\n") + "\r\n";
  };
  auto h2_request = [&](const Url& url, const std::string& target) {
    StreamRequest r{url.tls ? "https" : "http", url.authority(), target, {}};
    if (!last_event_id.empty()) r.headers.emplace_back("last-event-id", last_event_id);
    return r;
  };
  std::vector<std::string> requests; // HTTP/1.1
  std::vector<StreamRequest> streams; // HTTP/2
  for (auto& url : o_.subs) {
    std::string target = subscribe_target(o_, url, channel);
    requests.push_back(http1_request(url, target));
    streams.push_back(h2_request(url, target));
  }
  // Paced per subscriber, so the server's accept queue never overflows; an HTTP/2
  // connection opens all its streams at once.
  int per_connection = o_.h2 ? o_.streams_per_connection : 1;
  auto start = Clock::now();
  for (int first = 0, c = 0; first < count; first += per_connection, ++c) {
    auto due = start + std::chrono::microseconds(static_cast<std::int64_t>(1e6 * first / o_.connect_rate));
    while (Clock::now() < due) ioc_.run_for(due - Clock::now());
    std::size_t target = static_cast<std::size_t>(c) % o_.subs.size();
    // --channels: the connection's channel decides its server, so a channel lives on one.
    int k = o_.channel_offset + (o_.channels > 0 ? c % o_.channels : 0);
    std::string request;
    StreamRequest stream;
    if (o_.channels > 0) {
      target = static_cast<std::size_t>(k) % o_.subs.size();
      std::string path = subscribe_target(o_, o_.subs[target], channel_name(o_, k));
      if (o_.h2) stream = h2_request(o_.subs[target], path);
      else request = http1_request(o_.subs[target], path);
    } else if (o_.h2) {
      stream = streams[target];
    } else {
      request = requests[target];
    }
    const tcp::endpoint& server = sub_endpoints_[target];
    net::ip::address source = net::ip::make_address_v4("127.0.0." + std::to_string(1 + c % std::max(1, o_.sources)));
    if (!server.address().is_v4()) source = server.address();
    Lane& lane = *lanes_[static_cast<std::size_t>(c) % lanes_.size()];
    net::ssl::context* tls = o_.subs[target].tls ? tls_.get() : nullptr;
    const std::string& host = o_.subs[target].host;
    std::vector<std::shared_ptr<EventReader>> readers;
    for (int i = first; i < std::min(count, first + per_connection); ++i) {
      readers.push_back(std::make_shared<EventReader>(lane, replaying));
      subscriber_channel_.push_back(k);
    }
    subscribers_.insert(subscribers_.end(), readers.begin(), readers.end());
    if (o_.h2) {
      auto connection = std::make_shared<H2Subscribers>(lane, tls, std::move(stream), std::move(readers));
      net::post(lane.ioc, [connection, server, source, host] { connection->start(server, source, host); });
    } else {
      auto sub = std::make_shared<Subscriber>(tls, std::move(readers.front()));
      net::post(lane.ioc, [sub, server, source, host, request = std::move(request)] {
        sub->start(server, source, host, request);
      });
    }
  }
}

void Run::check_per_channel(const std::vector<std::uint64_t>& accepted) {
  for (std::size_t i = 0; i < subscribers_.size(); ++i) {
    auto& sub = *subscribers_[i];
    if (!sub.ready()) continue;
    std::uint64_t owed = accepted[static_cast<std::size_t>(subscriber_channel_[i] - o_.channel_offset)];
    stats_.expected += owed;
    if (sub.received() < owed) stats_.missing += owed - sub.received();
  }
}

void Run::stop_lanes() {
  guards_.clear();
  for (auto& lane : lanes_) lane->ioc.stop();
  for (auto& t : lane_threads_)
    if (t.joinable()) t.join();
}

int Run::connected() const {
  int n = 0;
  for (auto& lane : lanes_) n += lane->connected;
  return n;
}

int Run::connect_errors() const {
  int n = 0;
  for (auto& lane : lanes_) n += lane->connect_errors;
  return n;
}

std::uint64_t Run::deliveries() const {
  std::uint64_t n = 0;
  for (auto& lane : lanes_) n += lane->deliveries;
  return n;
}

std::uint64_t Run::replayed() const {
  std::uint64_t n = 0;
  for (auto& lane : lanes_) n += lane->replayed;
  return n;
}

std::int64_t Run::last_replayed_ns() const {
  std::int64_t last = 0;
  for (auto& lane : lanes_) last = std::max(last, lane->last_replayed_ns.load());
  return last;
}

std::int64_t Run::last_delivery_ns() const {
  std::int64_t last = 0;
  for (auto& lane : lanes_) last = std::max(last, lane->last_delivery_ns.load());
  return last;
}

bool Run::wait_until(const std::function<bool()>& done, double seconds) {
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (!done() && Clock::now() < deadline) ioc_.run_for(std::chrono::milliseconds(5));
  return done();
}

void Run::connect_publishers() {
  int ready = 0;
  for (int i = 0; i < o_.publishers; ++i) {
    std::size_t target = static_cast<std::size_t>(i) % o_.pubs.size();
    auto p = std::make_shared<Publisher>(*this, ioc_, i, o_.pubs[target]);
    p->connect(pub_endpoints_[target], [&ready] { ++ready; });
    publishers_.push_back(std::move(p));
  }
  if (!wait_until([&] { return ready == o_.publishers; }, 10)) {
    std::cerr << "loadgen: publishers could not connect\n";
    std::exit(1);
  }
}

Stats Run::execute() {
  tcp::resolver resolver(ioc_);
  for (auto& url : o_.subs) sub_endpoints_.push_back(*resolver.resolve(url.host, std::to_string(url.port)).begin());
  for (auto& url : o_.pubs) pub_endpoints_.push_back(*resolver.resolve(url.host, std::to_string(url.port)).begin());
  pacer_ = std::make_unique<net::steady_timer>(ioc_);
  auto all_ready = [&] { return connected() + connect_errors() >= static_cast<int>(subscribers_.size()); };

  if (o_.workload == "replay") {
    // Fill the channel first, then time one client from the channel's start.
    std::uint64_t total = fill(static_cast<std::uint64_t>(o_.replay_events));
    auto start = now_ns();
    connect_subscribers(1, o_.channel + ":0", o_.channel);
    wait_until([&] { return deliveries() >= total; }, 300);
    stats_.deliver_seconds = static_cast<double>(last_delivery_ns() - start) / 1e9;
    finish();
    stats_.latency_us.clear(); // replay latency is the age of the events: not meaningful
    return stats_;
  }

  if (o_.workload == "storm") return storm();

  connect_subscribers(o_.subscribers, "", o_.channel);
  wait_until(all_ready, 60);

  if (o_.workload == "idle") {
    wait_until([] { return false; }, o_.hold);
    return finish();
  }

  if (o_.workload == "listen") {
    // Subscribers only, while other processes publish (more subscribers than one process
    // may hold): say when connected, wait until told how many events were accepted, then
    // until each subscriber has them all or nothing arrived for five seconds.
    // With --channels the file goes on with `K count` lines, each channel's accepted
    // events (as --counts-file writes them); a channel of this range not named had none.
    std::ofstream(o_.ready_file) << connected() << "\n";
    std::uint64_t accepted = 0;
    while (!(std::ifstream(o_.until_file) >> accepted)) ioc_.run_for(std::chrono::milliseconds(100));
    stats_.accepted = accepted;
    auto expected = accepted * static_cast<std::uint64_t>(connected());
    std::vector<std::uint64_t> per_channel(accepted_per_channel_.size(), 0);
    if (o_.channels > 0) {
      std::ifstream until(o_.until_file);
      std::uint64_t total = 0, sum = 0, n = 0;
      long long k = 0;
      until >> total;
      while (until >> k >> n) {
        sum += n;
        if (k >= o_.channel_offset && k < o_.channel_offset + o_.channels)
          per_channel[static_cast<std::size_t>(k - o_.channel_offset)] = n;
      }
      if (sum != total) {
        std::cerr << "loadgen: --until-file " << o_.until_file << " says " << total << " events were accepted but "
                  << "its channels add up to " << sum << ": with --channels it needs the publisher's --counts-file\n";
        std::exit(2);
      }
      expected = 0;
      for (std::size_t i = 0; i < subscribers_.size(); ++i)
        if (subscribers_[i]->ready())
          expected += per_channel[static_cast<std::size_t>(subscriber_channel_[i] - o_.channel_offset)];
    }
    auto quiet_since = now_ns();
    wait_until([&] {
      return deliveries() >= expected || now_ns() - std::max(quiet_since, last_delivery_ns()) > 5'000'000'000;
    }, 120);
    stats_.last_delivery_ns = last_delivery_ns();
    finish();
    // Every subscriber must have every event, not only the total add up.
    if (o_.channels > 0) {
      check_per_channel(per_channel);
      return stats_;
    }
    for (auto& sub : subscribers_)
      if (sub->ready() && sub->received() < accepted) stats_.missing += accepted - sub->received();
    return stats_;
  }

  connect_publishers();
  if (o_.rate > 0)
    for (auto& lane : lanes_)
      lane->latency_us.reserve(static_cast<std::size_t>(o_.rate * o_.duration) * subscribers_.size() / lanes_.size() /
                               static_cast<std::size_t>(std::max(1, o_.channels)));
  double cpu_before = cpu_seconds(o_.server_pids);
  publishing_ = true;
  publish_start_ = Clock::now();
  if (o_.rate > 0) {
    pace();
  } else {
    for (auto& p : publishers_) publisher_idle(*p);
    pacer_->expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.duration)));
    pacer_->async_wait([this](error_code) {
      publishing_ = false;
      stats_.publish_seconds = std::chrono::duration<double>(Clock::now() - publish_start_).count();
    });
  }
  wait_until([&] { return !publishing_; }, o_.duration + 60);
  drain();
  stats_.server_cpu_seconds = cpu_seconds(o_.server_pids) - cpu_before;
  finish();
  if (o_.channels > 0) {
    check_per_channel(accepted_per_channel_);
    if (!o_.counts_file.empty()) {
      std::ofstream counts(o_.counts_file);
      counts << stats_.accepted << "\n";
      for (std::size_t k = 0; k < accepted_per_channel_.size(); ++k)
        if (accepted_per_channel_[k] > 0)
          counts << o_.channel_offset + static_cast<int>(k) << " " << accepted_per_channel_[k] << "\n";
    }
  }
  return stats_;
}

void Run::drain() {
  // Answers still on their way count: an event accepted late is an event to deliver.
  wait_until([&] { return all_publishers_idle(); }, 60);
  // Let in-flight publishes finish and deliveries drain: until quiet for a second.
  auto quiet_since = now_ns();
  wait_until([&] { return now_ns() - std::max(quiet_since, last_delivery_ns()) > 1'000'000'000; }, 30);
  stats_.publish_start_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(publish_start_.time_since_epoch()).count();
  stats_.last_delivery_ns = last_delivery_ns();
  stats_.deliver_seconds = static_cast<double>(stats_.last_delivery_ns - stats_.publish_start_ns) / 1e9;
}

// Gathers what the lanes counted, once they have stopped.
Stats Run::finish() {
  stop_lanes();
  for (auto& lane : lanes_) {
    stats_.connected += lane->connected;
    stats_.connect_errors += lane->connect_errors;
    stats_.disconnected += lane->disconnected;
    stats_.deliveries += lane->deliveries;
    stats_.reordered += lane->reordered;
    stats_.latency_us.insert(stats_.latency_us.end(), lane->latency_us.begin(), lane->latency_us.end());
    stats_.latency_sent_ns.insert(stats_.latency_sent_ns.end(), lane->latency_sent_ns.begin(),
                                  lane->latency_sent_ns.end());
    for (auto& [why, count] : lane->reasons) stats_.error_reasons[why] += count;
  }
  return stats_;
}

// Publishes `count` events to the current channel, flat out, untimed; returns how many
// were accepted.
std::uint64_t Run::fill(std::uint64_t count) {
  connect_publishers();
  double rate = o_.rate;
  o_.rate = 0;
  limit_ = count;
  publishing_ = true;
  for (auto& p : publishers_) publisher_idle(*p);
  wait_until([&] { return stats_.accepted + stats_.publish_errors >= limit_; }, 300);
  publishing_ = false;
  wait_until([&] { return all_publishers_idle(); }, 30);
  o_.rate = rate;
  return stats_.accepted;
}

Stats Run::storm() {
  // The stored channel, filled before anything is timed. The live events get publishers
  // of their own, whose numbering starts at 0 as the live subscribers expect.
  std::string live = o_.channel;
  o_.channel = o_.replay_channel;
  stats_.stored = fill(static_cast<std::uint64_t>(o_.replay_events));
  o_.channel = live;
  publishers_.clear();
  stats_.published = stats_.accepted = 0;
  next_seq_ = 0;
  limit_ = UINT64_MAX;

  connect_subscribers(o_.subscribers, "", live);
  wait_until([&] { return connected() + connect_errors() >= o_.subscribers; }, 60);
  connect_publishers();
  o_.duration = o_.quiet + o_.storm_timeout + 60; // bounds the pacer; stopped below once the replay ends
  publishing_ = true;
  publish_start_ = Clock::now();
  pace();
  wait_until([] { return false; }, o_.quiet);

  // The storm: every replaying client resumes from the stored channel's start. It is over
  // when each has every stored event, or when nothing was replayed for five seconds.
  std::int64_t storm_start = now_ns();
  connect_subscribers(o_.replay_clients, o_.replay_channel + ":0", o_.replay_channel,
                      true);
  std::uint64_t due = stats_.stored * static_cast<std::uint64_t>(o_.replay_clients);
  wait_until([&] {
    return replayed() >= due || now_ns() - std::max(storm_start, last_replayed_ns()) > 5'000'000'000;
  }, o_.storm_timeout);
  std::int64_t storm_end = std::max(storm_start, last_replayed_ns());
  stats_.replay_seconds = static_cast<double>(storm_end - storm_start) / 1e9;

  if (publishing_) stats_.publish_seconds = std::chrono::duration<double>(Clock::now() - publish_start_).count();
  publishing_ = false;
  drain();
  finish();

  // Live events published before the storm are the quiet figure, those published while
  // it lasted the storm figure.
  for (std::size_t i = 0; i < stats_.latency_us.size(); ++i) {
    std::int64_t sent = stats_.latency_sent_ns[i];
    if (sent < storm_start) stats_.quiet_latency_us.push_back(stats_.latency_us[i]);
    else if (sent <= storm_end) stats_.storm_latency_us.push_back(stats_.latency_us[i]);
  }
  // Every subscriber must have every event it is due, not only the totals add up.
  for (std::size_t i = 0; i < subscribers_.size(); ++i) {
    auto& sub = *subscribers_[i];
    if (!sub.ready()) continue;
    bool replaying = i >= static_cast<std::size_t>(o_.subscribers);
    std::uint64_t owed = replaying ? stats_.stored : stats_.accepted;
    stats_.expected += owed;
    if (sub.received() < owed) stats_.missing += owed - sub.received();
    if (replaying) ++stats_.replay_connected;
  }
  for (auto& lane : lanes_) stats_.replayed += lane->replayed;
  return stats_;
}

double percentile(std::vector<std::uint32_t>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

// The handshakes workload's result line and JSON; exits 3 when some failed, as a run
// that lost events does.
int report_handshakes(const Options& o, int threads) {
  // Bounded: 60 s, plus a second per 200 connections (slower than that is a result too).
  HandshakeResult r = run_handshakes(o.subs.front(), o.handshakes, o.concurrency, o.sources, threads,
                                     60 + o.handshakes / 200.0);
  double per_s = r.seconds > 0 ? static_cast<double>(r.completed) / r.seconds : 0;
  double p50 = percentile(r.latency_us, 0.50), p99 = percentile(r.latency_us, 0.99), max = percentile(r.latency_us, 1.0);
  std::ostringstream json;
  json << "{\"label\": \"" << o.label << "\", \"target\": \"" << o.target_name
       << "\", \"workload\": \"handshakes\", \"tls\": " << (o.subs.front().tls ? "true" : "false")
       << ", \"handshakes\": " << o.handshakes << ", \"concurrency\": " << o.concurrency
       << ", \"completed\": " << r.completed << ", \"connect_errors\": " << r.failed
       << ", \"seconds\": " << r.seconds << ", \"handshakes_per_s\": " << static_cast<long>(per_s)
       << ", \"latency_ms\": {\"p50\": " << p50 << ", \"p99\": " << p99 << ", \"max\": " << max << "}}\n";
  if (!o.json.empty()) std::ofstream(o.json) << json.str();
  std::printf("%-22s %-10s %s %llu/%d completed in %.2f s: %.0f connections/s  connect to answer p50 %.2f ms "
              "p99 %.2f ms max %.1f ms\n",
              o.label.c_str(), o.workload.c_str(), o.subs.front().tls ? "TLS" : "plain",
              static_cast<unsigned long long>(r.completed), o.handshakes, r.seconds, per_s, p50, p99, max);
  for (auto& [why, count] : r.reasons) std::printf("  %d connection(s): %s\n", count, why.c_str());
  return r.failed == 0 && r.completed == static_cast<std::uint64_t>(o.handshakes) ? 0 : 3;
}

} // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> sub_urls, pub_urls;
  std::string target = "eventstream";
  CLI::App app{"loadgen: drives an SSE server with subscribers and publishers and checks every event"};
  app.add_option("--target", target, "eventstream, nchan, pushpin or mercure (publish format)")
      ->check(CLI::IsMember({"eventstream", "nchan", "pushpin", "mercure"}));
  app.add_option("--token", o.token, "mercure: the publisher JWT (Authorization: Bearer); --channel is the topic");
  app.add_option("--label", o.label, "Name of the server in the results (default: the target)");
  app.add_option("--workload", o.workload,
                 "idle, fanout, publish, replay, storm, listen (subscribers only) or handshakes (new connections)")
      ->check(CLI::IsMember({"idle", "fanout", "publish", "replay", "storm", "listen", "handshakes"}));
  app.add_option("--sub-url", sub_urls,
                 "Subscribe URL, http:// or https:// (TLS, no certificate check); repeatable (subscribers take them "
                 "in turn); handshakes: its server gets the connections")
      ->required();
  app.add_option("--pub-url", pub_urls, "Publish URL; repeatable (publishers take them in turn)");
  app.add_option("--channel", o.channel, "Channel (eventstream and Pushpin publish bodies)");
  app.add_option("--channels", o.channels,
                 "Spread subscribers over channels <--channel>-K, K from --channel-offset on (subscriber i on K = "
                 "offset + i mod N, served by --sub-url number K mod the URLs); each event goes to one at random")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--channel-offset", o.channel_offset,
                 "--channels: the first channel's K (processes may own disjoint ranges)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seed", o.seed, "--channels: seeds which channel each event goes to");
  app.add_option("--counts-file", o.counts_file,
                 "--channels, publishing: write the accepted total, then `K count` per channel (a listener's "
                 "--until-file)");
  app.add_option("--subscribers", o.subscribers, "Subscribers (keep one process under ~19,000)");
  app.add_option("--sources", o.sources, "Spread subscribers over source addresses 127.0.0.1..K");
  app.add_option("--connect-rate", o.connect_rate, "New subscriber connections per second");
  app.add_option("--rate", o.rate, "Events per second (0: as fast as the publishers go)");
  app.add_option("--duration", o.duration, "Seconds of publishing");
  app.add_option("--publishers", o.publishers, "Publisher connections");
  app.add_option("--batch", o.batch, "Events per publish request (eventstream, Pushpin)");
  app.add_option("--size", o.size, "Padding bytes per event");
  app.add_option("--replay-events", o.replay_events, "Events the replay client is behind");
  app.add_option("--replay-clients", o.replay_clients, "storm: clients that resume from the stored channel's start");
  app.add_option("--replay-channel", o.replay_channel, "storm: the stored channel they replay");
  app.add_option("--quiet", o.quiet, "storm: seconds of live events timed before the replay starts");
  app.add_option("--storm-timeout", o.storm_timeout, "storm: most seconds the replay may take");
  app.add_option("--hold", o.hold, "Seconds the idle workload holds its subscribers");
  app.add_option("--server-pid", o.server_pids, "Server process(es) whose RSS is measured")->delimiter(',');
  app.add_option("--json", o.json, "Write the result here as JSON");
  app.add_option("--ready-file", o.ready_file, "listen: written once every subscriber is connected");
  app.add_option("--until-file", o.until_file,
                 "listen: holds until this file exists, then expects as many events as the number in it");
  app.add_flag("--h2", o.h2,
               "Subscribers speak HTTP/2: over TLS with ALPN h2 for https://, with prior knowledge (h2c) for http://");
  app.add_option("--streams-per-connection", o.streams_per_connection,
                 "--h2: subscribers multiplexed on each connection (at most the server's --h2-max-streams)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--handshakes", o.handshakes, "handshakes: new connections in all, each one GET /healthz")
      ->check(CLI::PositiveNumber);
  app.add_option("--concurrency", o.concurrency, "handshakes: connections under way at once")
      ->check(CLI::PositiveNumber);
  int threads = 1;
  app.add_option("--threads", threads, "Subscriber threads")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  o.target_name = target;
  if (o.label.empty()) o.label = target;
  o.target = target == "nchan" ? Target::nchan : target == "pushpin" ? Target::pushpin
             : target == "mercure" ? Target::mercure : Target::eventstream;
  bool publishes = o.workload != "idle" && o.workload != "listen" && o.workload != "handshakes";
  if (pub_urls.empty() && publishes) {
    std::cerr << "loadgen: --workload " << o.workload << " publishes: give --pub-url\n";
    return 2;
  }
  if (o.workload == "storm" && (o.target != Target::eventstream || o.replay_clients < 1)) {
    std::cerr << "loadgen: --workload storm replays from eventstream's storage: give --target eventstream and "
                 "--replay-clients N\n";
    return 2;
  }
  if (o.workload == "listen" && (o.ready_file.empty() || o.until_file.empty())) {
    std::cerr << "loadgen: --workload listen needs --ready-file and --until-file\n";
    return 2;
  }
  if (o.channels > 0 && (o.workload == "replay" || o.workload == "storm" || o.target == Target::nchan)) {
    std::cerr << "loadgen: --channels spreads the idle, fanout, publish and listen workloads over channels (nchan "
                 "takes its channel from the --pub-url: publish to each with a run of its own)\n";
    return 2;
  }
  for (auto& url : sub_urls) o.subs.push_back(parse_url(url));
  for (auto& url : pub_urls) o.pubs.push_back(parse_url(url));
  for (auto& url : o.pubs)
    if (url.tls && publishes) {
      std::cerr << "loadgen: publishers speak plain HTTP/1.1: give an http:// --pub-url (serve a TLS server with "
                   "--publish-addr for a plain publish port)\n";
      return 2;
    }

  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);

  if (o.workload == "handshakes") return report_handshakes(o, threads);

  long rss_before = rss_kib(o.server_pids);
  Run run(o, threads);
  Stats s = run.execute();
  long rss_after = rss_kib(o.server_pids);

  std::uint64_t subs = o.workload == "replay" ? 1 : static_cast<std::uint64_t>(s.connected);
  int offered = o.workload == "replay" ? 1 : o.workload == "storm" ? o.subscribers + o.replay_clients : o.subscribers;
  // Storm and --channels runs counted each subscriber's due; elsewhere each has every event.
  bool counted = o.workload == "storm" || (o.channels > 0 && o.workload != "idle");
  std::uint64_t expected = counted ? s.expected : o.workload == "idle" ? 0 : s.accepted * subs;
  std::uint64_t lost = expected > s.deliveries - s.reordered ? expected - (s.deliveries - s.reordered) : 0;
  lost = std::max(lost, s.missing);
  double p50 = percentile(s.latency_us, 0.50), p99 = percentile(s.latency_us, 0.99), max = percentile(s.latency_us, 1.0);
  double deliveries_per_s = s.deliver_seconds > 0 ? static_cast<double>(s.deliveries) / s.deliver_seconds : 0;
  double publish_per_s = s.publish_seconds > 0 ? static_cast<double>(s.accepted) / s.publish_seconds : 0;
  double rss_per_sub = s.connected > 0 && !o.server_pids.empty()
                           ? static_cast<double>(rss_after - rss_before) / s.connected
                           : 0;

  std::ostringstream json;
  json << "{\"label\": \"" << o.label << "\", \"target\": \"" << o.target_name << "\", \"workload\": \"" << o.workload
       << "\", \"subscribers\": " << offered << ", \"connected\": " << s.connected
       << ", \"connect_errors\": " << s.connect_errors << ", \"disconnected\": " << s.disconnected
       << ", \"rate\": " << o.rate << ", \"duration\": " << o.duration << ", \"publishers\": " << o.publishers
       << ", \"h2\": " << (o.h2 ? "true" : "false") << ", \"tls\": " << (o.subs.front().tls ? "true" : "false")
       << ", \"connections\": "
       << (o.h2 ? (o.subscribers + o.streams_per_connection - 1) / o.streams_per_connection : o.subscribers)
       << ", \"channels\": " << o.channels << ", \"channel_offset\": " << o.channel_offset
       << ", \"batch\": " << o.batch << ", \"size\": " << o.size << ", \"published\": " << s.published
       << ", \"accepted\": " << s.accepted << ", \"publish_errors\": " << s.publish_errors
       << ", \"deliveries\": " << s.deliveries << ", \"expected_deliveries\": " << expected << ", \"lost\": " << lost
       << ", \"reordered\": " << s.reordered << ", \"deliveries_per_s\": " << static_cast<long>(deliveries_per_s)
       << ", \"publish_per_s\": " << static_cast<long>(publish_per_s) << ", \"latency_ms\": {\"p50\": " << p50
       << ", \"p99\": " << p99 << ", \"max\": " << max << "}, \"rss_kib_before\": " << rss_before
       << ", \"rss_kib_after\": " << rss_after << ", \"rss_kib_per_subscriber\": " << rss_per_sub
       << ", \"server_cpu_s\": " << s.server_cpu_seconds << ", \"server_cpu_us_per_delivery\": "
       << (s.deliveries > 0 ? s.server_cpu_seconds * 1e6 / static_cast<double>(s.deliveries) : 0)
       << ", \"publish_start_ns\": " << s.publish_start_ns << ", \"last_delivery_ns\": " << s.last_delivery_ns;
  double replay_per_s = s.replay_seconds > 0 ? static_cast<double>(s.replayed) / s.replay_seconds : 0;
  if (o.workload == "storm")
    json << ", \"quiet_latency_ms\": {\"p50\": " << percentile(s.quiet_latency_us, 0.50)
         << ", \"p99\": " << percentile(s.quiet_latency_us, 0.99) << ", \"max\": " << percentile(s.quiet_latency_us, 1.0)
         << "}, \"storm_latency_ms\": {\"p50\": " << percentile(s.storm_latency_us, 0.50)
         << ", \"p99\": " << percentile(s.storm_latency_us, 0.99) << ", \"max\": " << percentile(s.storm_latency_us, 1.0)
         << "}, \"replay_clients\": " << o.replay_clients << ", \"replay_connected\": " << s.replay_connected
         << ", \"stored\": " << s.stored << ", \"replayed\": " << s.replayed
         << ", \"replay_seconds\": " << s.replay_seconds << ", \"replay_events_per_s\": " << static_cast<long>(replay_per_s);
  json << "}\n";
  if (!o.json.empty()) std::ofstream(o.json) << json.str();

  std::printf("%-22s %-8s subs %6d/%-6d published %8llu accepted %8llu deliveries %10llu lost %llu reordered %llu  "
              "%9.0f deliv/s %8.0f pub/s  p50 %.2f ms p99 %.2f ms max %.1f ms  rss/sub %.1f KiB\n",
              o.label.c_str(), o.workload.c_str(), s.connected, offered,
              static_cast<unsigned long long>(s.published), static_cast<unsigned long long>(s.accepted),
              static_cast<unsigned long long>(s.deliveries), static_cast<unsigned long long>(lost),
              static_cast<unsigned long long>(s.reordered), deliveries_per_s, publish_per_s, p50, p99, max, rss_per_sub);
  if (o.workload == "storm")
    std::printf("  storm: live p50/p99 %.2f/%.2f ms quiet, %.2f/%.2f ms during the replay; %d/%d clients replayed "
                "%llu events of %llu in %.1f s: %.0f events/s\n",
                percentile(s.quiet_latency_us, 0.50), percentile(s.quiet_latency_us, 0.99),
                percentile(s.storm_latency_us, 0.50), percentile(s.storm_latency_us, 0.99), s.replay_connected,
                o.replay_clients, static_cast<unsigned long long>(s.replayed),
                static_cast<unsigned long long>(s.stored * static_cast<std::uint64_t>(o.replay_clients)),
                s.replay_seconds, replay_per_s);
  for (auto& [why, count] : s.error_reasons) std::printf("  %d subscriber(s): %s\n", count, why.c_str());
  bool clean = lost == 0 && s.reordered == 0 && s.publish_errors == 0 && s.connect_errors == 0;
  return clean ? 0 : 3;
}
