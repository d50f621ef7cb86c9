#include <gtest/gtest.h>

#include "publish/publish_request.hpp"

using namespace es::publish;

namespace {

std::string error_of(std::string_view body) {
  try {
    parse_publish_request(body);
  } catch (const BadPublishRequest& e) {
    return e.what();
  }
  return "accepted";
}

} // namespace

TEST(PublishRequest, SingleEventIsReencodedLikePython) {
  auto items = parse_publish_request(R"({"channel": "test", "type": "update", "data": {"a":[1,2]}})");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].channel, "test");
  EXPECT_EQ(items[0].type, "update");
  EXPECT_EQ(items[0].data, R"({"a": [1, 2]})");
}

TEST(PublishRequest, TypeDefaultsToMessageAndRawKeepsText) {
  auto items = parse_publish_request(R"({"items": [{"channel": "a", "data": null},
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
            "type: must not contain CR or LF (it would break SSE framing)");
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
  auto items = parse_publish_request(
      R"({"channel": "n", "data": [0e40, 0.000000000000000000000000, 0.184467440737095516159, 2.220446049250313e-16,
                                  1e-400, 5e-324, -0, -0.0, 1E2, 0.1, 18446744073709551615, -9223372036854775808]})");
  EXPECT_EQ(items[0].data, "[0.0, 0.0, 0.1844674407370955, 2.220446049250313e-16, 0.0, 5e-324, 0, -0.0, 100.0, 0.1, "
                           "18446744073709551615, -9223372036854775808]");
  EXPECT_EQ(error_of(R"({"channel": "n", "data": 2e308})"),
            "body: not valid JSON (Number too big to be stored in double. at byte 25)");
  EXPECT_EQ(error_of(R"({"channel": "n", "data": 1e400})").substr(0, 60),
            "body: not valid JSON (Number too big to be stored in double.");
}
