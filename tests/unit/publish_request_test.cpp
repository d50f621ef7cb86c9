#include <gtest/gtest.h>

#include "publish/publish_request.hpp"
#include "sse/json_text.hpp"

using namespace es::publish;

namespace {

std::vector<PublishItem> items_of(std::string_view body) { return parse_publish_request(body, "events-", 100).items; }

std::string error_of(std::string_view body) {
  try {
    parse_publish_request(body, "events-", 100);
  } catch (const BadPublishRequest& e) {
    return e.what();
  }
  return "accepted";
}

} // namespace

TEST(PublishRequest, SingleEventIsReencodedLikePython) {
  auto items = items_of(R"({"channel": "test", "type": "update", "data": {"a":[1,2]}})");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].channel, "test");
  EXPECT_EQ(items[0].type, "update");
  EXPECT_EQ(items[0].data, R"({"a": [1, 2]})");
}

TEST(PublishRequest, TypeDefaultsToMessageAndRawKeepsText) {
  auto items = items_of(R"({"items": [{"channel": "a", "data": null},
                                                   {"channel": "b", "data": "x\ny", "raw": true, "skip_users": ["u1"]}]})");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].type, "message");
  EXPECT_EQ(items[0].data, "null");
  EXPECT_EQ(items[1].data, "x\ny");
  EXPECT_EQ(items[1].skip_users, std::vector<std::string>{"u1"});
}

TEST(PublishRequest, ErrorsNameTheField) {
  EXPECT_EQ(error_of("{"), "body: not valid JSON (Missing a name for object member. at byte 1)");
  EXPECT_EQ(error_of("[1]").substr(0, 30), "body: must be a JSON object: {");
  EXPECT_EQ(error_of(R"({"type": "t", "data": 1})"), "channel: is required");
  EXPECT_EQ(error_of(R"({"channel": "", "data": 1})"), "channel: must be a non-empty string");
  EXPECT_EQ(error_of(R"({"channel": "a"})"), "data: is required (use null for an event without data)");
  EXPECT_EQ(error_of(R"({"channel": "a", "type": "x\ny", "data": 1})"),
            "type: has the control character 0x0a; an event type is a name, in text");
  EXPECT_EQ(error_of(R"({"items": [{"channel": "a", "data": 1}, {"channel": "b", "type": 5, "data": 1}]})"),
            "items[1].type: must be a non-empty string");
  EXPECT_EQ(error_of(R"({"items": []})"), "items: must be a non-empty array of events");
  EXPECT_EQ(error_of(R"({"channel": "a", "data": 1, "chanel": "b"})"),
            "chanel: unknown field (an event has channel, type, data, raw and skip_users)");
  EXPECT_EQ(error_of(R"({"channel": "a", "data": 1, "raw": true})"), "data: must be a string when raw is true");
  EXPECT_EQ(error_of("{\"channel\": \"a\", \"data\": \"\xff\"}").substr(0, 25), "body: not valid JSON (Inv");
}

// Found by fuzzing (UBSan: clz of zero in RapidJSON 1.1.0's full-precision number
// parsing): `0e40` was published as -2.4258095192198577e+229. Expected: Python's
// json.dumps(json.loads(...)).
TEST(PublishRequest, NumbersAreReadExactly) {
  auto items = items_of(
      R"({"channel": "n", "data": [0e40, 0.000000000000000000000000, 0.184467440737095516159, 2.220446049250313e-16,
                                  1e-400, 5e-324, -0, -0.0, 1E2, 0.1, 18446744073709551615, -9223372036854775808]})");
  EXPECT_EQ(items[0].data, "[0.0, 0.0, 0.1844674407370955, 2.220446049250313e-16, 0.0, 5e-324, 0, -0.0, 100.0, 0.1, "
                           "18446744073709551615, -9223372036854775808]");
  EXPECT_EQ(error_of(R"({"channel": "n", "data": 2e308})"),
            "body: not valid JSON (Number too big to be stored in double. at byte 25)");
  EXPECT_EQ(error_of(R"({"channel": "n", "data": 1e400})").substr(0, 60),
            "body: not valid JSON (Number too big to be stored in double.");
}

// Types with NUL, VT or FF, types of 100 KB and the server's own stream-error were
// accepted: a type is a name, not a payload.
TEST(PublishRequest, TypesAreNames) {
  for (std::string bad : {std::string("a\0b", 3), std::string("a\vb"), std::string("a\fb"), std::string("a\rb"),
                          std::string("\t"), std::string("a\x7f"), std::string("\x1b[31m")}) {
    std::string body = R"({"channel": "a", "data": 1, "type": )";
    es::sse::append_python_json_string(body, bad);
    body += "}";
    EXPECT_EQ(error_of(body).substr(0, 34), "type: has the control character 0x") << body;
  }
  EXPECT_EQ(error_of(R"({"channel": "a", "data": 1, "type": "a\u0000b"})"),
            "type: has the control character 0x00; an event type is a name, in text");
  EXPECT_EQ(error_of(R"({"channel": "a", "data": 1, "type": ")" + std::string(257, 't') + "\"}"),
            "type: is 257 bytes long; the most is 256 (a type is a name: put the payload in data)");
  EXPECT_EQ(items_of(R"({"channel": "a", "data": 1, "type": ")" + std::string(256, 't') + "\"}")[0].type,
            std::string(256, 't'));
  for (const char* reserved : {"stream-open", "stream-error", "stream-reset", "keep-alive"})
    EXPECT_EQ(error_of(R"({"items": [{"channel": "a", "data": 1}, {"channel": "a", "data": 1, "type": ")" +
                       std::string(reserved) + "\"}]}"),
              "items[1].type: '" + std::string(reserved) +
                  "' is reserved: the server itself sends stream-open, stream-error, stream-reset and keep-alive; "
                  "choose another type");
  // Names that merely resemble them, and text beyond ASCII, are fine.
  for (const char* fine : {"Stream-Error", "stream-errors", "keepalive", "\u00e9v\u00e9nement", "a b"})
    EXPECT_EQ(error_of(R"({"channel": "a", "data": 1, "type": ")" + std::string(fine) + "\"}"), "accepted") << fine;
}

// What django-eventstream 4.5.1 sends through pygripcontrol (docs/protocol.md §19),
// byte for byte as captured (/work/shared/reference/16-grip-publish.txt): the build-id
// template is filled in, the id line dropped, the channel unquoted.
TEST(PublishRequest, GripItemsOfDjangoEventstream) {
  auto request = parse_publish_request(
      R"({"items": [{"id": "2", "prev-id": "1", "http-stream": {"content-filters": ["build-id"], "content": "event: message\nid: %I\ndata: {\"pct\": \"50%% done\", \"nl\": \"a\\nb\"}\n\n"}, "channel": "events-pub"},)"
      R"( {"meta": {"skip_users": "7, 9"}, "http-stream": {"content-filters": [], "content": "event: message\ndata: \"x 5%\"\n\n"}, "channel": "events-room/1%20%C3%BCn%C3%AF"}]})",
      "events-", 100);
  EXPECT_TRUE(request.grip);
  ASSERT_EQ(request.items.size(), 2u);
  EXPECT_EQ(request.items[0].channel, "pub");
  EXPECT_EQ(request.items[0].type, "message");
  EXPECT_EQ(request.items[0].data, R"({"pct": "50% done", "nl": "a\nb"})");
  EXPECT_EQ(request.items[1].channel, "room/1 \u00fcn\u00ef");
  EXPECT_EQ(request.items[1].data, "\"x 5%\"");
  EXPECT_EQ(request.items[1].skip_users, (std::vector<std::string>{"7", "9"}));
  EXPECT_TRUE(request.kicks.empty());
}

// js-grip's layout, content-bin, several events in one content, data over several lines,
// and names without the prefix.
TEST(PublishRequest, GripItemsOfJsGrip) {
  auto request = parse_publish_request(
      R"({"items": [{"channel": "news", "formats": {"http-stream": {"content": "event: a\ndata: 1\ndata: 2\n\ndata: 3\n\n"}}},)"
      R"( {"channel": "x-y", "formats": {"http-stream": {"content-bin": "ZXZlbnQ6IGIKZGF0YTogNAo="}}}]})",
      "x-", 100);
  ASSERT_EQ(request.items.size(), 3u);
  EXPECT_EQ(request.items[0].channel, "news");
  EXPECT_EQ(request.items[0].type, "a");
  EXPECT_EQ(request.items[0].data, "1\n2");
  EXPECT_EQ(request.items[1].type, "message");
  EXPECT_EQ(request.items[1].data, "3");
  EXPECT_EQ(request.items[2].channel, "y");
  EXPECT_EQ(request.items[2].type, "b");
  EXPECT_EQ(request.items[2].data, "4");
}

// channel_permission_changed(user 7, "test"): a stream-error for the proxy to show, then
// close; here the close is a kick and the error the kick's own.
TEST(PublishRequest, GripCloseOnAUsersChannelIsAKick) {
  auto request = parse_publish_request(
      R"({"items": [{"id": "kick-1", "meta": {"require_sub": "events-test"}, "http-stream": {"content": "event: stream-error\nid: error\ndata: {}\n\n"}, "channel": "user-7"},)"
      R"( {"id": "kick-2", "prev-id": "kick-1", "meta": {"require_sub": "events-a%20b"}, "http-stream": {"action": "close"}, "channel": "user-anonymous"}]})",
      "events-", 100);
  EXPECT_TRUE(request.items.empty());
  ASSERT_EQ(request.kicks.size(), 1u);
  EXPECT_EQ(request.kicks[0].user, "");
  EXPECT_EQ(request.kicks[0].channel, "a b");
}

TEST(PublishRequest, GripErrorsNameTheField) {
  auto grip = [](std::string item) { return error_of(R"({"items": [)" + item + "]}"); };
  EXPECT_EQ(grip(R"({"channel": "c", "ws-message": {"content": "x"}, "http-response": {"body": "x"}})"),
            "items[0]: has only the format(s) ws-message, http-response, which eventstream does not serve; it "
            "serves http-stream (Server-Sent Events): publish that");
  EXPECT_EQ(grip(R"({"channel": "c", "formats": {}})"),
            "items[0]: no formats specified (give \"http-stream\": {\"content\": ...})");
  EXPECT_EQ(grip(R"({"formats": {"http-stream": {"content": "data: 1\n\n"}}})"), "items[0].channel: is required");
  EXPECT_EQ(grip(R"({"channel": "c", "http-stream": {"content": ": only a comment\n\n"}})").substr(0, 48),
            "items[0].http-stream.content: holds no event wit");
  EXPECT_EQ(grip(R"({"channel": "c", "http-stream": {"content": "event: stream-open\ndata:\n\n"}})").substr(0, 71),
            "items[0].http-stream.content: event type: 'stream-open' is reserved: th");
  EXPECT_EQ(grip(R"({"channel": "c", "http-stream": {"content-filters": ["build-id"], "content": "data: 5%\n\n"}})")
                .substr(0, 50),
            "items[0].http-stream.content: has a '%' that is no");
  EXPECT_EQ(grip(R"({"channel": "c", "http-stream": {"action": "close"}})").substr(0, 72),
            "items[0].http-stream.action: eventstream closes streams only as a kick: ");
  EXPECT_EQ(grip(R"({"channel": "c", "http-stream": {"content-bin": "!!"}})"),
            "items[0].http-stream.content-bin: is not valid base64");
  EXPECT_EQ(grip(R"({"channel": "c", "meta": {"skip_users": 7}, "http-stream": {"content": "data: 1\n\n"}})"),
            "items[0].meta.skip_users: must be a string");
  EXPECT_EQ(error_of(R"({"items": [{"channel": "c", "http-stream": {"content": "data: 1\n\n"}}, {"channel": "a", "data": 1}]})"),
            "items[1]: is an eventstream event in a batch of GRIP items; send them in separate requests");
}

// Found in review: one GRIP item's content can hold thousands of events, each with its
// own copy of the item's skip_users, all made before --max-batch was checked.
TEST(PublishRequest, GripContentIsBoundedAsItIsRead) {
  std::string many;
  for (int i = 0; i < 50; ++i) many += "data: x\\n\\n";
  auto body = R"({"items": [{"channel": "c", "http-stream": {"content": ")" + many + "\"}}]}";
  try {
    parse_publish_request(body, "events-", 10);
    FAIL() << "accepted";
  } catch (const PublishTooLarge& e) {
    EXPECT_NE(std::string(e.what()).find("more than 10 events"), std::string::npos) << e.what();
  }
  std::string users;
  for (int i = 0; i < 100000; ++i) users += std::to_string(i) + ",";
  auto skipping = R"({"items": [{"channel": "c", "meta": {"skip_users": ")" + users +
                  R"("}, "http-stream": {"content": ")" + many + "\"}}]}";
  EXPECT_THROW(parse_publish_request(skipping, "events-", 10000), PublishTooLarge);
  std::string kicks;
  for (int i = 0; i < 11; ++i)
    kicks += std::string(i ? "," : "") + R"({"meta": {"require_sub": "events-c"}, "http-stream": {"action": "close"}, "channel": "user-)" +
             std::to_string(i) + "\"}";
  EXPECT_THROW(parse_publish_request(R"({"items": [)" + kicks + "]}", "events-", 10), PublishTooLarge);
  EXPECT_EQ(error_of(R"({"items": [{"meta": {"require_sub": "events-c"}, "http-stream": {"action": "close"}, "channel": "user-"}]})"),
            "items[0].channel: names no user after user- (user-anonymous: users without a token)");
}
