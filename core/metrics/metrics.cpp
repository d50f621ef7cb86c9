#include "metrics/metrics.hpp"

#include <cstdio>

#include "hub/hub.hpp"

namespace es::metrics {
namespace {

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

template <class Number> void line(std::string& out, const char* name, Number value, const char* labels = "") {
  out += name;
  out += labels;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

template <class Number> void family(std::string& out, const char* name, const char* type, const char* help, Number value) {
  header(out, name, type, help);
  line(out, name, value);
}

} // namespace

void Histogram::observe(std::chrono::steady_clock::duration took) {
  double seconds = std::chrono::duration<double>(took).count();
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::chrono::nanoseconds(took).count()), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, const char* name, const char* help) const {
  header(out, name, "histogram", help);
  std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    char labels[40];
    if (i < bounds.size()) std::snprintf(labels, sizeof labels, "{le=\"%g\"}", bounds[i]);
    else std::snprintf(labels, sizeof labels, "{le=\"+Inf\"}");
    line(out, bucket.c_str(), cumulative, labels);
  }
  char sum[64];
  std::snprintf(sum, sizeof sum, "%.9f", static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  out += name;
  out += "_sum ";
  out += sum;
  out += '\n';
  line(out, (std::string(name) + "_count").c_str(), cumulative);
}

Metrics& metrics() {
  static Metrics instance;
  return instance;
}

std::string render(const hub::Hubs& hubs) {
  const Metrics& m = metrics();
  using hub::ShardCounters;
  std::string out;
  out.reserve(4096);
  family(out, "eventstream_connections_open", "gauge", "Client connections open, streams included.",
         m.connections_open.load());
  family(out, "eventstream_streams_open", "gauge", "Event streams open.", m.streams_open.load());
  family(out, "eventstream_subscribers", "gauge", "Streams subscribed to the hub.", hubs.subscriber_count());
  family(out, "eventstream_channels_active", "gauge",
         "Channels with a subscriber, per I/O thread (a channel followed on two threads counts twice).",
         hubs.total(&ShardCounters::channels));
  family(out, "eventstream_connections_refused_total", "counter",
         "Connections answered 503 because --max-connections were open.", m.connections_refused.load());
  family(out, "eventstream_connections_refused_per_address_total", "counter",
         "Connections answered 429 because their address held --max-connections-per-address.",
         m.connections_refused_per_address.load());
  family(out, "eventstream_requests_refused_total", "counter",
         "Requests refused as malformed or over a limit (header size or count, request line, channel name, batch).",
         m.requests_refused.load());
  family(out, "eventstream_requests_failed_total", "counter",
         "Requests answered 500, or connections closed, because handling them threw (a bug; the log says what).",
         m.requests_failed.load());
  family(out, "eventstream_events_published_total", "counter", "Events accepted by publish requests.",
         m.events_published.load());
  family(out, "eventstream_publish_failures_total", "counter",
         "Publish requests answered 503 (storage or Redis unavailable).", m.publish_failures.load());
  family(out, "eventstream_events_delivered_total", "counter", "Events written to streams, live or replayed.",
         hubs.total(&ShardCounters::delivered));
  family(out, "eventstream_events_replayed_total", "counter", "Events written to streams from storage.",
         hubs.total(&ShardCounters::replayed));
  family(out, "eventstream_events_dropped_total", "counter",
         "Events not queued for a stream whose mailbox was full (caught up from storage, or a stream-reset).",
         hubs.total(&ShardCounters::dropped));
  family(out, "eventstream_stream_resets_total", "counter", "stream-reset events sent.",
         hubs.total(&ShardCounters::resets));
  family(out, "eventstream_grip_publish_failures_total", "counter",
         "Batches a GRIP proxy did not accept (retried with backoff).", m.grip_publish_failures.load());
  family(out, "eventstream_redis_errors_total", "counter", "Failed exchanges with Redis.", m.redis_errors.load());
  family(out, "eventstream_redis_messages_received_total", "counter",
         "Pub/sub messages received from Redis (event groups and kicks of every instance).", m.redis_messages.load());
  family(out, "eventstream_http2_connections_open", "gauge", "HTTP/2 client connections open (each is counted in "
         "eventstream_connections_open, and so is each of its event streams).", m.http2_connections_open.load());
  header(out, "eventstream_http2_connections_closed_total", "counter",
         "HTTP/2 connections closed with GOAWAY because their client passed a bound (SECURITY.md).");
  const auto& closed = m.http2_closed;
  line(out, "eventstream_http2_connections_closed_total", closed.rapid_reset.load(), "{bound=\"rapid_reset\"}");
  line(out, "eventstream_http2_connections_closed_total", closed.control_frames.load(), "{bound=\"control_frames\"}");
  line(out, "eventstream_http2_connections_closed_total", closed.header_block.load(), "{bound=\"header_block\"}");
  line(out, "eventstream_http2_connections_closed_total", closed.stalled.load(), "{bound=\"stalled\"}");
  line(out, "eventstream_http2_connections_closed_total", closed.protocol.load(), "{bound=\"protocol\"}");
  m.publish_latency.render(out, "eventstream_publish_duration_seconds",
                           "Publish requests, from read to answered (stored and handed to the hub).");
  m.storage_commit_latency.render(out, "eventstream_storage_commit_duration_seconds",
                                  "Storage commits (one per group of publish requests).");
  return out;
}

} // namespace es::metrics
