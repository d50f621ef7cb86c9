#include <gtest/gtest.h>

#include "sse/encoder.hpp"
#include "sse/event_type.hpp"

using namespace es::sse;

TEST(Encoder, PreambleIsTwoKiBCommentThenStreamOpen) {
  std::string expected = ":" + std::string(2048, ' ') + "\n\nevent: stream-open\ndata:\n\n";
  EXPECT_EQ(stream_preamble(), expected);
  EXPECT_EQ(stream_preamble().size(), 2077u); // what the reference's first chunk holds
}

TEST(Encoder, EventWithAndWithoutId) {
  std::string frame = event_head("message");
  append_id_line(frame, "test:1");
  frame += event_body("{\"foo\": \"bar\"}");
  EXPECT_EQ(frame, "event: message\nid: test:1\ndata: {\"foo\": \"bar\"}\n\n");

  std::string live = event_head("message");
  append_id_line(live, "");
  live += event_body("1");
  EXPECT_EQ(live, "event: message\ndata: 1\n\n");
}

TEST(Encoder, RawDataIsSplitAtEveryKindOfLineBreak) {
  EXPECT_EQ(event_body("a\nb\r\nc\rd"), "data: a\ndata: b\ndata: c\ndata: d\n\n");
  EXPECT_EQ(event_body("ends\n"), "data: ends\ndata: \n\n");
  EXPECT_EQ(event_body(""), "data: \n\n");
}

TEST(Encoder, KeepAlive) { EXPECT_EQ(keep_alive(), "event: keep-alive\ndata:\n\n"); }

TEST(Encoder, StreamErrorMatchesReference) {
  EXPECT_EQ(stream_error("bad-request", "Invalid request: No channels specified."),
            "event: stream-error\nid: error\ndata: {\"condition\": \"bad-request\", \"text\": \"Invalid request: No "
            "channels specified.\"}\n\n");
  EXPECT_EQ(stream_error("forbidden", "Permission denied to channels: _a", {"_a"}),
            "event: stream-error\nid: error\ndata: {\"condition\": \"forbidden\", \"text\": \"Permission denied to "
            "channels: _a\", \"channels\": [\"_a\"]}\n\n");
}

TEST(Encoder, StreamReset) {
  std::string reset(stream_reset_head());
  append_id_line(reset, "test:3,a:1");
  reset += stream_reset_body({"test"});
  EXPECT_EQ(reset, "event: stream-reset\nid: test:3,a:1\ndata: {\"channels\": [\"test\"]}\n\n");
  EXPECT_EQ(stream_reset_body({"a", "b"}), "data: {\"channels\": [\"a\", \"b\"]}\n\n");
}

// Publishers may not send what the server sends itself (event_type.hpp): every type the
// encoder writes is one of the reserved names.
TEST(Encoder, EveryTypeTheServerSendsIsReserved) {
  std::string sent = std::string(stream_preamble()) + std::string(keep_alive()) + stream_error("x", "y") +
                     std::string(stream_reset_head());
  std::size_t types = 0;
  for (auto at = sent.find("event: "); at != std::string::npos; at = sent.find("event: ", at + 1), ++types) {
    std::string type = sent.substr(at + 7, sent.find('\n', at) - at - 7);
    EXPECT_NE(event_type_problem(type).find("is reserved"), std::string::npos) << type;
  }
  EXPECT_EQ(types, reserved_event_types.size());
}
