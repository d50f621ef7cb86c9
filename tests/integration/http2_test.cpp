// HTTP/2 with prior knowledge (h2c) through the real binary: curl, nghttp and a raw
// frame client see the same server as HTTP/1.1 clients do, many streams share one
// connection, a stream whose window is held shut stalls only itself, and the limits and
// the shutdown of HTTP/1.1 hold per stream.
#include <gtest/gtest.h>

#include <unistd.h>

#include <set>
#include <sstream>
#include <thread>

#include "support/h2_client.hpp"
#include "support/http_client.hpp"
#include "support/publish.hpp"
#include "support/scrape.hpp"
#include "support/server_process.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The server holds `n` event streams (they were all read and subscribed).
bool streams_open(const ServerProcess& server, int n) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (metric(server, "eventstream_subscribers") >= n) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

std::string header(const h2::StreamState& s, const std::string& name) {
  auto value = find_header(s.headers, name);
  return value ? *value : "";
}

// The "# TYPE" lines of a /metrics body: which series it has, not their values.
std::set<std::string> metric_types(const std::string& body) {
  std::set<std::string> types;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("# TYPE ")) types.insert(line);
  return types;
}

// The connection goes on: another stream on it is answered.
void expect_serving_on(h2::Client& h2, std::int32_t id) {
  h2.request(id, "GET", "/healthz");
  ASSERT_TRUE(h2.wait_for_end(id));
  EXPECT_EQ(h2.stream(id).status, 200);
  EXPECT_FALSE(h2.goaway());
}

} // namespace

TEST(Http2, CurlWithPriorKnowledgeReceivesAnEvent) {
  ServerProcess server;
  CommandResult curl;
  std::jthread client([&] {
    curl = run_program("/usr/bin/curl", {"--http2-prior-knowledge", "-N", "-i", "-s", "--max-time", "5",
                                server.base_url() + "/events/?channel=h2"},
                       "", 20s);
  });
  ASSERT_TRUE(streams_open(server, 1));
  publish(server, "h2", "message", R"("over h2")");
  client.join();
  EXPECT_NE(curl.out.find("HTTP/2 200"), std::string::npos) << curl.out;
  EXPECT_NE(curl.out.find("content-type: text/event-stream"), std::string::npos) << curl.out;
  EXPECT_NE(curl.out.find("event: stream-open"), std::string::npos) << curl.out;
  EXPECT_NE(curl.out.find("data: \"over h2\""), std::string::npos) << curl.out;
}

TEST(Http2, NghttpOpensFiftyStreamsOnOneConnectionAndEachGetsTheEvent) {
  ServerProcess server;
  CommandResult nghttp;
  std::jthread client([&] {
    nghttp = run_program("/usr/bin/nghttp", {"-v", "-m", "50", "-t", "6", server.base_url() + "/events/?channel=fifty"}, "", 20s);
  });
  ASSERT_TRUE(streams_open(server, 50));
  EXPECT_EQ(metric(server, "eventstream_http2_connections_open"), 1);
  // One connection and its 50 streams, each counted as a connection of its own (and the
  // scrapes' connections, which the server may not have seen closed yet).
  EXPECT_GE(metric(server, "eventstream_connections_open"), 51);
  publish(server, "fifty", "message", R"("to all")");
  client.join();
  EXPECT_EQ(count(nghttp.out, ":status: 200"), 50u) << nghttp.out.substr(0, 4000);
  EXPECT_EQ(count(nghttp.out, "data: \"to all\""), 50u) << nghttp.out.substr(0, 4000);
}

TEST(Http2, PagesHealthMetricsPublishAndKickAnswerAsOverHttp11) {
  ServerProcess server;
  h2::Client h2(server.host(), server.port());
  auto over_h2 = [&](std::int32_t id, const std::string& method, const std::string& path, const Headers& extra = {},
                     const std::string& body = "") -> h2::StreamState& {
    h2.request(id, method, path, extra, body.empty());
    if (!body.empty()) h2.data(id, body, true);
    EXPECT_TRUE(h2.wait_for_end(id)) << path;
    return h2.stream(id);
  };
  auto compare = [&](std::int32_t id, const std::string& path, const Headers& extra = {}) {
    auto& got = over_h2(id, "GET", path, extra);
    Headers h1_headers;
    for (const auto& [name, value] : extra) h1_headers.emplace_back(name, value);
    auto expected = http_request(server.host(), server.port(), "GET", path, h1_headers);
    EXPECT_EQ(got.status, expected.status) << path;
    EXPECT_EQ(header(got, "content-type"), expected.header("Content-Type")) << path;
    return std::pair<std::string, std::string>(got.body, expected.body);
  };

  auto [script, script_h1] = compare(1, "/static/eventstream.js");
  EXPECT_EQ(script, script_h1);
  EXPECT_GT(script.size(), 1000u);
  auto [viewer, viewer_h1] =
      compare(3, "/events/?channel=v", {{"accept", "text/html,application/xhtml+xml"}, {"sec-fetch-dest", "document"}});
  EXPECT_EQ(viewer, viewer_h1);
  EXPECT_NE(viewer.find("<html"), std::string::npos);
  auto [health, health_h1] = compare(5, "/healthz");
  EXPECT_EQ(health, "ok\n");
  EXPECT_EQ(health, health_h1);
  auto [metrics, metrics_h1] = compare(7, "/metrics");
  EXPECT_EQ(metric_types(metrics), metric_types(metrics_h1));
  EXPECT_NE(metrics.find("eventstream_http2_connections_open 1"), std::string::npos);

  auto& published = over_h2(9, "POST", "/publish/", {{"content-type", "application/json"}},
                            R"({"channel": "p", "type": "message", "data": 1})");
  EXPECT_EQ(published.status, 200);
  EXPECT_EQ(published.body, "{\"ids\": [\"p:1\"]}\n");
  EXPECT_EQ(publish_body(server, R"({"channel": "p", "type": "message", "data": 2})").body, "{\"ids\": [\"p:2\"]}\n");

  auto& kicked = over_h2(11, "POST", "/kick/", {}, R"({"user": "u", "channel": "p"})");
  EXPECT_EQ(kicked.status, 200);
  auto kicked_h1 = http_request(server.host(), server.port(), "POST", "/kick/", {},
                                R"({"user": "u", "channel": "p"})");
  EXPECT_EQ(kicked.body, kicked_h1.body);
  EXPECT_EQ(kicked.body, "{\"ended\": 0}\n");
  EXPECT_FALSE(h2.goaway());
}

TEST(Http2, HeadAnswersTheHeadOnly) {
  ServerProcess server;
  h2::Client h2(server.host(), server.port());
  h2.request(1, "GET", "/static/eventstream.js");
  h2.request(3, "HEAD", "/static/eventstream.js");
  ASSERT_TRUE(h2.wait_for_end(1));
  ASSERT_TRUE(h2.wait_for_end(3));
  EXPECT_EQ(h2.stream(3).status, 200);
  EXPECT_EQ(header(h2.stream(3), "content-length"), std::to_string(h2.stream(1).body.size()));
  EXPECT_EQ(h2.stream(3).body, "");
  EXPECT_EQ(h2.stream(3).data_frames, 0u); // END_STREAM came with the head
}

TEST(Http2, ABodyOverMaxBodyIsRefusedOnItsStreamOnly) {
  ServerProcess server({"--max-body", "100"});
  h2::Client h2(server.host(), server.port());
  h2.request(1, "POST", "/publish/", {{"content-type", "application/json"}}, false);
  h2.data(1, std::string(200, ' '), false); // and more would follow
  ASSERT_TRUE(h2.wait_for_end(1));
  EXPECT_EQ(h2.stream(1).status, 413);
  EXPECT_NE(h2.stream(1).body.find("--max-body of 100 bytes"), std::string::npos) << h2.stream(1).body;
  // The rest of the body is not wanted: the stream is reset once the answer is out.
  ASSERT_TRUE(h2.wait_until([&] { return h2.stream(1).reset.has_value(); }));
  EXPECT_EQ(*h2.stream(1).reset, h2::NO_ERROR);

  expect_serving_on(h2, 3);
}

// A head too large: the request gets the 431 HTTP/1.1 would give it, and the
// connection goes on.
TEST(Http2, AHeadOverMaxHeaderBytesGets431OnItsStreamOnly) {
  ServerProcess server;
  h2::Client client(server.host(), server.port());
  client.request(1, "GET", "/healthz", {{"x-large", std::string(20 * 1024, 'v')}});
  ASSERT_TRUE(client.wait_for_end(1));
  EXPECT_EQ(client.stream(1).status, 431);
  EXPECT_NE(client.stream(1).body.find("--max-header-bytes"), std::string::npos) << client.stream(1).body;
  expect_serving_on(client, 3);
}

// Flow control is the backpressure: stream 3 never opens its window, stream 1 does. Every
// event reaches stream 1; stream 3 gets nothing, is reset after --write-timeout, and the
// server does not keep what it could not send.
TEST(Http2, AStreamWithItsWindowHeldShutStallsOnlyItself) {
  ServerProcess server({"--storage", "none", "--write-timeout", "2"});
  h2::Client h2(server.host(), server.port(), {{h2::SETTINGS_INITIAL_WINDOW_SIZE, 0}});
  h2.window_update(0, 1 << 30);
  h2.request(1, "GET", "/events/?channel=w");
  h2.window_update(1, 1 << 24);
  h2.hold_window(3);
  h2.request(3, "GET", "/events/?channel=w");
  ASSERT_TRUE(streams_open(server, 2));
  [[maybe_unused]] long before_kib = server.resident_kib();

  constexpr int batches = 60, per_batch = 50; // 12 MB in all
  for (int b = 0; b < batches; ++b) {
    ASSERT_EQ(publish_body(server, sized_batch("w", per_batch, 4000)).status, 200);
    auto expected = static_cast<std::size_t>((b + 1) * per_batch);
    ASSERT_TRUE(h2.wait_until([&] { return count(h2.stream(1).body, "event: e\n") >= expected; }, 10s))
        << count(h2.stream(1).body, "event: e\n") << " of " << expected;
  }
  EXPECT_EQ(count(h2.stream(1).body, "event: e\n"), static_cast<std::size_t>(batches * per_batch));
  EXPECT_EQ(h2.stream(3).status, 200); // its head is not flow-controlled
  EXPECT_EQ(h2.stream(3).body, "");
  ASSERT_TRUE(h2.wait_until([&] { return h2.stream(3).reset.has_value(); }, 10s));
  EXPECT_EQ(*h2.stream(3).reset, h2::CANCEL);
  EXPECT_FALSE(h2.stream(1).reset);
  // Under the sanitizers the RSS measures them: ASan keeps what was freed (its
  // quarantine, 256 MB) and this test frees a hundred MB. The release build checks it.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  EXPECT_LT(server.resident_kib() - before_kib, 32 * 1024) << "the held stream's events were kept";
#endif
  EXPECT_NE(server.stderr_text().find("the client stopped reading (write timed out)"), std::string::npos);
}

// With the default --h2-max-streams (100), a client that sends more streams than that
// before it acknowledged the server's SETTINGS gets REFUSED_STREAM for the extra one; the
// connection goes on.
TEST(Http2, AStreamPastTheConcurrentLimitIsRefused) {
  ServerProcess server;
  h2::Client h2(server.host(), server.port());
  std::string requests;
  for (int i = 0; i < 101; ++i)
    requests += h2::frame(h2::HEADERS, h2::END_HEADERS | h2::END_STREAM, 1 + 2 * i,
                          h2::literal_block({{":method", "GET"}, {":scheme", "http"}, {":authority", "x"},
                                             {":path", "/events/?channel=many"}}));
  ASSERT_TRUE(h2.send(requests));
  ASSERT_TRUE(h2.wait_until([&] { return h2.stream(201).reset.has_value(); }));
  EXPECT_EQ(*h2.stream(201).reset, h2::REFUSED_STREAM);
  ASSERT_TRUE(h2.wait_until([&] {
    for (int id = 1; id < 201; id += 2)
      if (h2.stream(id).status != 200) return false;
    return true;
  }));

  h2.reset(1);
  expect_serving_on(h2, 203);
}

// Each event stream counts as a connection: past --max-connections-per-address the
// stream gets 429 with Retry-After, as an HTTP/1.1 connection would, and the HTTP/2
// connection serves on.
TEST(Http2, EventStreamsCountAgainstTheConnectionLimits) {
  ServerProcess server({"--max-connections-per-address", "3"});
  h2::Client h2(server.host(), server.port()); // the connection: 1
  h2.request(1, "GET", "/events/?channel=l");
  h2.request(3, "GET", "/events/?channel=l"); // 2 and 3
  // Not through /metrics: the scrape's connection would count too.
  ASSERT_TRUE(h2.wait_until([&] { return h2.stream(1).status == 200 && h2.stream(3).status == 200; }));
  h2.request(5, "GET", "/events/?channel=l");
  ASSERT_TRUE(h2.wait_for_end(5));
  EXPECT_EQ(h2.stream(5).status, 429);
  EXPECT_FALSE(header(h2.stream(5), "retry-after").empty());
  EXPECT_NE(h2.stream(5).body.find("--max-connections-per-address 3"), std::string::npos) << h2.stream(5).body;

  expect_serving_on(h2, 7);
  EXPECT_EQ(h2.stream(1).status, 200);
  EXPECT_FALSE(h2.stream(1).ended);
}

TEST(Http2, ShutdownEndsEveryStreamAndSaysGoaway) {
  ServerProcess server;
  h2::Client h2(server.host(), server.port());
  for (int id : {1, 3, 5}) h2.request(id, "GET", "/events/?channel=bye");
  ASSERT_TRUE(streams_open(server, 3));
  int exit_code = -1;
  std::jthread stop([&] { exit_code = server.stop(SIGTERM); });
  bool done = h2.wait_until([&] {
    return h2.goaway() && h2.stream(1).ended && h2.stream(3).ended && h2.stream(5).ended;
  }, 10s);
  stop.join();
  ASSERT_TRUE(done);
  EXPECT_EQ(h2.goaway()->error_code, h2::NO_ERROR);
  EXPECT_EQ(h2.goaway()->last_stream_id, 5);
  EXPECT_EQ(exit_code, 0);
}

// The client preface may arrive in pieces: what is a prefix of it is waited on, not
// answered 400 as a malformed HTTP/1.1 request.
TEST(Http2, APrefaceInPiecesIsWaitedFor) {
  ServerProcess server;
  int fd = connect_tcp(server.host(), server.port());
  send_all(fd, "PRI * HTTP/2.0\r\n\r\n"); // an empty line: an HTTP/1.1 head would end here
  std::this_thread::sleep_for(300ms);
  send_all(fd, "SM\r\n\r\n" + h2::settings_frame({}));
  std::string got;
  while (got.size() < 9 && recv_some(fd, got, Clock::now() + 5s) == RecvStatus::data) {
  }
  ::close(fd);
  ASSERT_GE(got.size(), 9u) << got;
  EXPECT_EQ(got[3], h2::SETTINGS) << got; // the server's preface, not "HTTP/1.1 400"
}

TEST(Http2, AnIdleConnectionIsToldGoaway) {
  ServerProcess server({"--header-timeout", "1"});
  h2::Client h2(server.host(), server.port());
  h2.request(1, "GET", "/healthz");
  ASSERT_TRUE(h2.wait_for_end(1));
  ASSERT_TRUE(h2.wait_for_close(10s));
  ASSERT_TRUE(h2.goaway());
  EXPECT_EQ(h2.goaway()->error_code, h2::NO_ERROR);
  EXPECT_EQ(h2.goaway()->last_stream_id, 1);
  EXPECT_EQ(h2.goaway()->debug, "idle for --header-timeout");
}
