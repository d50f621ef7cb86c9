// Hostile HTTP/2 clients through the real binary (SECURITY.md, "HTTP/2"): each bound is
// passed by a raw frame client, which gets a GOAWAY (or its stream a reset); the bound
// is counted in /metrics and logged; and the server goes on serving everyone else.
#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "support/h2_client.hpp"
#include "support/http_client.hpp"
#include "support/publish.hpp"
#include "support/scrape.hpp"
#include "support/server_process.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

const Headers get_healthz{{":method", "GET"}, {":scheme", "http"}, {":authority", "x"}, {":path", "/healthz"}};

std::string repeated(const std::string& frame, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += frame;
  return out;
}

// The abuser was told to calm down (or why else it was closed) and is gone; the bound is
// counted and logged; another client is served.
void expect_closed_for(const ServerProcess& server, h2::Client& abuser, std::uint32_t error_code,
                       const std::string& bound) {
  ASSERT_TRUE(abuser.wait_for_close(10s)) << "the connection stayed open";
  ASSERT_TRUE(abuser.goaway()) << "closed without GOAWAY";
  EXPECT_EQ(abuser.goaway()->error_code, error_code) << abuser.goaway()->debug;
  EXPECT_EQ(metric(server, "eventstream_http2_connections_closed_total{bound=\"" + bound + "\"}"), 1);
  EXPECT_NE(server.stderr_text().find("HTTP/2 connection from 127.0.0.1:"), std::string::npos);
  EXPECT_NE(server.stderr_text().find("closed with GOAWAY"), std::string::npos);

  EXPECT_EQ(http_request(server.host(), server.port(), "GET", "/healthz").status, 200);
  h2::Client other(server.host(), server.port());
  other.request(1, "GET", "/healthz");
  ASSERT_TRUE(other.wait_for_end(1));
  EXPECT_EQ(other.stream(1).status, 200);
}

// A fresh server, and a client that sends `frames` after its preface.
void abuse(const std::string& frames, std::uint32_t error_code, const std::string& bound) {
  ServerProcess server;
  h2::Client abuser(server.host(), server.port());
  abuser.send(frames);
  expect_closed_for(server, abuser, error_code, bound);
}

} // namespace

// CVE-2023-44487: streams opened and reset at once, each one work for the server.
TEST(Http2Hostile, RapidResetGetsGoaway) {
  std::string frames;
  for (int i = 0; i < 1000; ++i) {
    std::int32_t id = 1 + 2 * i;
    frames += h2::frame(h2::HEADERS, h2::END_HEADERS | h2::END_STREAM, id,
                        h2::literal_block({{":method", "GET"}, {":scheme", "http"}, {":authority", "x"},
                                           {":path", "/events/?channel=rapid"}}));
    frames += h2::frame(h2::RST_STREAM, 0, id, std::string("\0\0\0\x08", 4));
  }
  abuse(frames, h2::ENHANCE_YOUR_CALM, "rapid_reset");
}

TEST(Http2Hostile, SettingsFloodGetsGoaway) {
  abuse(repeated(h2::settings_frame({}), 1000), h2::ENHANCE_YOUR_CALM, "control_frames");
}

TEST(Http2Hostile, PingFloodGetsGoaway) {
  abuse(repeated(h2::frame(h2::PING, 0, 0, "12345678"), 1000), h2::ENHANCE_YOUR_CALM, "control_frames");
}

// CVE-2019-9518: frames that carry nothing, each still work to process.
TEST(Http2Hostile, EmptyDataFloodGetsGoaway) {
  auto post = h2::literal_block({{":method", "POST"}, {":scheme", "http"}, {":authority", "x"}, {":path", "/publish/"}});
  abuse(h2::frame(h2::HEADERS, h2::END_HEADERS, 1, post) + repeated(h2::frame(h2::DATA, 0, 1, ""), 1000),
        h2::ENHANCE_YOUR_CALM, "control_frames");
}

// A 4 KB field put in the HPACK table once, then referenced by one byte each: a small
// block that decodes to megabytes.
TEST(Http2Hostile, HpackBombGetsGoaway) {
  std::string block = h2::literal_block(get_healthz);
  block += '\x40'; // literal with incremental indexing, new name
  block += h2::hpack_integer(0, 7, 6) + "x-bomb";
  block += h2::hpack_integer(0, 7, 4000) + std::string(4000, 'a');
  block += std::string(4000, '\xbe'); // indexed: the dynamic table's first entry (62)
  abuse(h2::frame(h2::HEADERS, h2::END_HEADERS | h2::END_STREAM, 1, block), h2::ENHANCE_YOUR_CALM, "header_block");
}

// A dynamic table size update past SETTINGS_HEADER_TABLE_SIZE (4096): nghttp2's own
// bound, a compression error.
TEST(Http2Hostile, HpackTableSizeAbuseGetsGoaway) {
  std::string block = h2::hpack_integer(0x20, 5, 1 << 24) + h2::literal_block(get_healthz);
  abuse(h2::frame(h2::HEADERS, h2::END_HEADERS | h2::END_STREAM, 1, block), h2::COMPRESSION_ERROR, "protocol");
}

// CVE-2024-27316 style: a header block that never ends, with fields or without.
TEST(Http2Hostile, ContinuationFloodGetsGoaway) {
  std::string frames = h2::frame(h2::HEADERS, h2::END_STREAM, 1, h2::literal_block(get_healthz));
  for (int i = 0; i < 1000; ++i)
    frames += h2::frame(h2::CONTINUATION, 0, 1, h2::literal_block({{"x-more", std::to_string(i)}}));
  abuse(frames, h2::ENHANCE_YOUR_CALM, "header_block");
}

TEST(Http2Hostile, EmptyContinuationFloodGetsGoaway) {
  abuse(h2::frame(h2::HEADERS, h2::END_STREAM, 1, h2::literal_block(get_healthz)) +
            repeated(h2::frame(h2::CONTINUATION, 0, 1, ""), 1000),
        h2::ENHANCE_YOUR_CALM, "header_block");
}

// Streams opened with a window of zero and held: nothing can be sent, each stream is
// closed by --write-timeout and the connection when nothing moves; what was published
// meanwhile is not kept for them.
TEST(Http2Hostile, ZeroWindowHoldsAreClosedAndKeepNothing) {
  ServerProcess server({"--storage", "none", "--write-timeout", "2"});
  h2::Client abuser(server.host(), server.port(), {{h2::SETTINGS_INITIAL_WINDOW_SIZE, 0}});
  for (int i = 0; i < 20; ++i) {
    abuser.hold_window(1 + 2 * i);
    abuser.request(1 + 2 * i, "GET", "/events/?channel=held");
  }
  ASSERT_TRUE(abuser.wait_until([&] { return abuser.stream(39).status == 200; }));
  long before_kib = server.resident_kib();
  for (int b = 0; b < 20; ++b) ASSERT_EQ(publish_body(server, sized_batch("held", 50, 4000)).status, 200);
  EXPECT_LT(server.resident_kib() - before_kib, 48 * 1024) << "4 MB published to 20 held streams was kept";
  ASSERT_TRUE(abuser.wait_for_close(15s));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(abuser.stream(1 + 2 * i).body, "");
  EXPECT_EQ(metric(server, "eventstream_streams_open"), 0);
  EXPECT_EQ(http_request(server.host(), server.port(), "GET", "/healthz").status, 200);
}
