#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "grip/grip_publisher.hpp"
#include "grip/grip_sig.hpp"
#include "grip/grip_url.hpp"
#include "grip/instructions.hpp"
#include "grip/link_meta.hpp"
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

// Found in review: `--publish-key base64:` decoded to an empty key, which every forged
// signature (and an empty Basic password) matched.
TEST(GripUrl, KeysAreStrictBase64AndNeverEmpty) {
  EXPECT_EQ(decode_key("base64:YQ", "k"), "a");
  EXPECT_EQ(decode_key("base64:YWI=", "k"), "ab");
  for (const char* bad : {"base64:", "base64:====", "base64:YQ=Q", "base64:Y", "base64:YWJj====", "base64:!!"})
    EXPECT_THROW(decode_key(bad, "--publish-key"), std::invalid_argument) << bad;
  EXPECT_THROW(parse_grip_url("http://localhost:5561?key=base64:"), std::invalid_argument);
}

TEST(GripUrl, BadUrlsAreRefused) {
  EXPECT_THROW(parse_grip_url("localhost:5561"), std::invalid_argument);
  EXPECT_THROW(parse_grip_url("ftp://x"), std::invalid_argument);
  EXPECT_THROW(parse_grip_url("http://x/realm?foo=bar"), std::invalid_argument);
}

TEST(GripPublish, ItemsAsTheReferenceWritesThem) {
  es::hub::Event reliable{"test", 3, es::sse::event_head("message"), "", es::sse::event_body(R"({"text": "third 50%"})"), {}, nullptr};
  EXPECT_EQ(publish_item(reliable),
            R"({"id": "3", "prev-id": "2", "http-stream": {"content-filters": ["build-id"], "content": "event: message\nid: %I\ndata: {\"text\": \"third 50%%\"}\n\n"}, "channel": "events-test"})");

  es::hub::Event live{"unreliable chan", 0, es::sse::event_head("message"), "", es::sse::event_body(R"("x 5%")"), {"7", "9"}, nullptr};
  EXPECT_EQ(publish_item(live),
            R"({"meta": {"skip_users": "7,9"}, "http-stream": {"content-filters": [], "content": "event: message\ndata: \"x 5%\"\n\n"}, "channel": "events-unreliable%20chan"})");
  EXPECT_EQ(publish_body({"{}", "{}"}), R"({"items": [{}, {}]})");
}

TEST(GripPublish, KickItemsEndTheStreamsOfOneUserOnOneChannel) {
  auto items = kick_items("bob", "a b", "kick-x-1");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], R"({"id": "kick-x-1-1", "meta": {"require_sub": "events-a%20b"}, "http-stream": {"content": )"
                      R"("event: stream-error\nid: error\ndata: {\"condition\": \"forbidden\", \"text\": )"
                      R"(\"Permission denied to channels: a b\", \"channels\": [\"a b\"]}\n\n"}, "channel": "user-bob"})");
  EXPECT_EQ(items[1], R"({"id": "kick-x-1-2", "prev-id": "kick-x-1-1", "meta": {"require_sub": "events-a%20b"}, )"
                      R"("http-stream": {"action": "close"}, "channel": "user-bob"})");
}

TEST(GripInstructions, HeadersAsTheReferenceWritesThem) {
  std::vector<HeldChannel> held{{"a", 2}, {"b%20c", 0}, {"live", std::nullopt}};
  EXPECT_EQ(channel_header(held, ""), "events-a; prev-id=2; filter=build-id; filter=skip-users, "
                                      "events-b%20c; prev-id=0; filter=build-id; filter=skip-users, "
                                      "events-live; filter=skip-users, user-anonymous; filter=require-sub");
  EXPECT_EQ(set_meta_header(held, "alice"), R"(id_format="a:%(events-a)s,b%%20c:%(events-b%20c)s", user="alice")");
  EXPECT_EQ(set_meta_header({{"live", std::nullopt}}, R"(a "quoted\ one)"), R"(user="a \"quoted\\ one")");
  EXPECT_EQ(keep_alive_header("event: keep-alive\ndata:\n\n", std::chrono::seconds(20)),
            R"(event: keep-alive\ndata:\n\n; format=cstring; timeout=20)");
  EXPECT_EQ(keep_alive_header("a\\b\r\x01", std::chrono::seconds(5)), R"(a\\b\r\x01; format=cstring; timeout=5)");
  EXPECT_EQ(user_channel("bob smith"), "user-bob%20smith");
  EXPECT_EQ(stream_channel("a:b"), "events-a%3Ab");
  EXPECT_EQ(escape_build_id("50% and %I"), "50%% and %%I");
}

TEST(GripInstructions, GripLastInEveryForm) {
  using Position = es::sse::Position;
  EXPECT_EQ(parse_grip_last({"events-a; last-id=1, events-b%20c; last-id=0"}), (Position{{"a", 1}, {"b c", 0}}));
  EXPECT_EQ(parse_grip_last({"events-a; last-id=1", "user-7; last-id=kick-2", R"(events-b;last-id="3" )"}),
            (Position{{"a", 1}, {"b", 3}}));
  EXPECT_EQ(parse_grip_last({"events-a", "events-b; last-id=x", "junk", ""}), Position{});
}

TEST(GripSig, OnlyAnUnexpiredSignatureWithOurKeyIsTrusted) {
  auto now = std::chrono::system_clock::now();
  auto at = [&](long offset) { return std::to_string(std::chrono::system_clock::to_time_t(now) + offset); };
  std::vector<Proxy> proxies{parse_grip_url("http://localhost:5561?verify-key=base64:Y2hhbmdlbWU=&verify-iss=pushpin")};
  SignatureCheck check(proxies, "other");
  ASSERT_TRUE(check.enabled());
  EXPECT_EQ(check.refusal(es::auth::sign_hs256(R"({"iss": "pushpin", "exp": )" + at(60) + "}", "changeme"), now), "");
  EXPECT_EQ(check.refusal(es::auth::sign_hs256(R"({"exp": )" + at(60) + "}", "other"), now), "");
  EXPECT_EQ(check.refusal(es::auth::sign_hs256(R"({"iss": "pushpin", "exp": )" + at(-1) + "}", "changeme"), now),
            "it has expired");
  EXPECT_EQ(check.refusal(es::auth::sign_hs256(R"({"iss": "pushpin"})", "changeme"), now), "it has no integer \"exp\"");
  EXPECT_EQ(check.refusal(es::auth::sign_hs256(R"({"iss": "evil", "exp": )" + at(60) + "}", "changeme"), now),
            "its \"iss\" is not pushpin");
  EXPECT_EQ(check.refusal(es::auth::sign_hs256(R"({"exp": )" + at(60) + "}", "guess"), now),
            "the token's signature is wrong");
  EXPECT_FALSE(SignatureCheck({parse_grip_url("http://localhost:5561")}, "").enabled());
}

TEST(GripLinkMeta, RoundTripAndExpiry) {
  LinkMeta meta{{"a", "b c"}, "alice", 1000, 900};
  auto token = sign_link_meta(meta, "s");
  auto read = read_link_meta(token, "s", 899);
  EXPECT_EQ(read.channels, meta.channels);
  EXPECT_EQ(read.user, "alice");
  EXPECT_EQ(read.user_expires, 1000);
  EXPECT_THROW(read_link_meta(token, "s", 900), es::auth::TokenError);
  EXPECT_THROW(read_link_meta(token, "t", 899), es::auth::TokenError);
  EXPECT_EQ(read_link_meta(sign_link_meta({{"a"}, "", std::nullopt, 900}, "s"), "s", 1).user, "");
  EXPECT_THROW(read_link_meta(sign_link_meta({{"a"}, "bob", 800, 800}, "s"), "s", 850), UserTokenExpired);
  EXPECT_THROW(read_link_meta(es::auth::sign_hs256(R"({"sub": "x"})", "s"), "s", 1), es::auth::TokenError);
}
