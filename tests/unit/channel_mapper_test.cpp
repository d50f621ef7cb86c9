// The channel mapping's question and the reading of its answer, and the calls it shares
// with the permission webhook, against a real application endpoint (a FakeHttpServer).
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "auth/channel_mapper.hpp"
#include "auth/webhook.hpp"
#include "support/fake_http_server.hpp"
#include "support/webhook_server.hpp"

using namespace es;
using auth::ChannelMapper;
using auth::Mapping;
using Outcome = Mapping::Outcome;
using namespace std::chrono_literals;

TEST(ChannelMapper, TheQuestionIsJsonAsPythonWritesIt) {
  ChannelMapper::Question q{"/r\u00e9/\"1\"/", "/r\u00e9/{id}/", {{"id", "\"1\""}},
                            parse_query("b=2&a=1&b=3&t=%0A"), "\u00e9ve", "", ""};
  EXPECT_EQ(auth::mapping_request_body(q),
            R"({"path": "/r\u00e9/\"1\"/", "route": "/r\u00e9/{id}/", "params": {"id": "\"1\""}, )"
            R"("query": {"b": ["2", "3"], "a": ["1"], "t": ["\n"]}, "user": "\u00e9ve"})");
}

TEST(ChannelMapper, AnswersAreReadStrictly) {
  auto channels = auth::read_mapping_answer(200, R"({"channels": ["a", "\u00e9"], "other": 1})");
  EXPECT_EQ(channels.outcome, Outcome::channels);
  EXPECT_EQ(channels.channels, (std::vector<std::string>{"a", "\xc3\xa9"}));
  EXPECT_EQ(auth::read_mapping_answer(204, "").outcome, Outcome::failed);
  EXPECT_EQ(auth::read_mapping_answer(200, R"({"channels": null})").outcome, Outcome::failed);
  EXPECT_EQ(auth::read_mapping_answer(200, R"({"channels": [["a"]]})").outcome, Outcome::failed);
  EXPECT_EQ(auth::read_mapping_answer(302, R"({"channels": ["a"]})").outcome, Outcome::failed);

  auto refused = auth::read_mapping_answer(403, "\x1b[31mNo\x7f entry\t");
  EXPECT_EQ(refused.outcome, Outcome::forbidden);
  EXPECT_EQ(refused.message, "[31mNo  entry");
  EXPECT_EQ(auth::read_mapping_answer(401, "").message, "Permission denied.");
  EXPECT_EQ(auth::read_mapping_answer(403, R"({"message": 7})").message, "Permission denied.");
  EXPECT_EQ(auth::read_mapping_answer(403, R"({"message": "\n"})").message, "Permission denied.");
  // Cut at 512 bytes, between characters: 255 two-byte characters, not half of the 256th.
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += "\xc3\xa9";
  EXPECT_EQ(auth::read_mapping_answer(403, "x" + long_text).message, "x" + long_text.substr(0, 510));
}

// Concurrent identical questions share one call, on the threads the permission webhook uses.
TEST(ChannelMapper, IdenticalQuestionsShareOneCallOnTheSharedPool) {
  test::FakeHttpServer app([](const test::FakeRequest&) {
    std::this_thread::sleep_for(300ms);
    return test::FakeReply{200, R"({"channels": ["room"]})"};
  });
  test::WebhookServer permissions([](const std::string&, const std::string&) { return 200; });
  auth::WebhookPool pool(1);
  ChannelMapper mapper(pool, app.url(), 60s, 5s);
  auth::PermissionWebhook webhook(pool, permissions.url(), 60s, 5s);

  ChannelMapper::Question q{"/events/", "/events/", {}, {}, "alice", "c=1", ""};
  std::vector<std::promise<Mapping>> answers(5);
  for (auto& answer : answers) mapper.ask(q, [&answer](const Mapping& m) { answer.set_value(m); });
  std::promise<auth::PermissionWebhook::Verdict> verdict;
  webhook.ask({"alice", "room", "", ""}, false, [&](auto v) { verdict.set_value(v); });
  for (auto& answer : answers) EXPECT_EQ(answer.get_future().get().channels, (std::vector<std::string>{"room"}));
  EXPECT_EQ(verdict.get_future().get(), auth::PermissionWebhook::Verdict::allow);
  EXPECT_EQ(app.requests().size(), 1u);
  EXPECT_EQ(mapper.cache_use().entries, 1u);

  // Another cookie is another question.
  q.cookie = "c=2";
  std::promise<Mapping> other;
  mapper.ask(q, [&](const Mapping& m) { other.set_value(m); });
  EXPECT_EQ(other.get_future().get().outcome, Outcome::channels);
  EXPECT_EQ(app.requests().size(), 2u);
}
