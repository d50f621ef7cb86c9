#include <gtest/gtest.h>

#include "grip/grip_publisher.hpp"
#include "grip/grip_url.hpp"
#include "sse/encoder.hpp"

using namespace es::grip;

TEST(GripUrl, FormsOfTheReference) {
  auto pushpin = parse_grip_url("http://localhost:5561/");
  EXPECT_EQ(pushpin.control_uri, "http://localhost:5561");
  EXPECT_EQ(pushpin.publish_url(), "http://localhost:5561/publish/");
  EXPECT_TRUE(pushpin.key.empty());

  auto fanout = parse_grip_url("http://api.fanout.io/realm/your-realm?iss=your-realm&key=base64:Z2VoZWltCg==");
  EXPECT_EQ(fanout.control_uri, "http://api.fanout.io/realm/your-realm");
  EXPECT_EQ(fanout.iss, "your-realm");
  EXPECT_EQ(fanout.key, "geheim\n");

  EXPECT_EQ(parse_grip_url("https://api.fanout.io/realm/r?iss=r&key=base64:aGVsbG8+d29ybGQ/").key, "hello>world?");
  auto fastly = parse_grip_url("https://api.fastly.com/service/SID?verify-iss=fastly:SID&key=TOKEN");
  EXPECT_EQ(fastly.key, "TOKEN");
  EXPECT_EQ(fastly.verify_iss, "fastly:SID");
  auto verify = parse_grip_url("http://localhost:5561?verify-key=base64:Y2hhbmdlbWU=&verify-iss=pushpin");
  EXPECT_EQ(verify.verify_key, "changeme");
  EXPECT_EQ(verify.verify_iss, "pushpin");
}

TEST(GripUrl, BadUrlsAreRefused) {
  EXPECT_THROW(parse_grip_url("localhost:5561"), std::invalid_argument);
  EXPECT_THROW(parse_grip_url("ftp://x"), std::invalid_argument);
  EXPECT_THROW(parse_grip_url("http://x/realm?foo=bar"), std::invalid_argument);
}

TEST(GripPublish, ItemsAsTheReferenceWritesThem) {
  es::hub::Event reliable{"test", 3, es::sse::event_head("message"), "", es::sse::event_body(R"({"text": "third 50%"})"), {}};
  EXPECT_EQ(publish_item(reliable),
            R"({"id": "3", "prev-id": "2", "http-stream": {"content-filters": ["build-id"], "content": "event: message\nid: %I\ndata: {\"text\": \"third 50%%\"}\n\n"}, "channel": "events-test"})");

  es::hub::Event live{"unreliable chan", 0, es::sse::event_head("message"), "", es::sse::event_body(R"("x 5%")"), {"7", "9"}};
  EXPECT_EQ(publish_item(live),
            R"({"meta": {"skip_users": "7,9"}, "http-stream": {"content-filters": [], "content": "event: message\ndata: \"x 5%\"\n\n"}, "channel": "events-unreliable%20chan"})");
  EXPECT_EQ(publish_body({"{}", "{}"}), R"({"items": [{}, {}]})");
}
