// `eventstream send` as a script would use it.
#include <gtest/gtest.h>

#include "support/server_process.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

TEST(Send, ReadsDataFromStdin) {
  ServerProcess server;
  SseClient client(server.host(), server.port(), "/events/?channel=c");
  ASSERT_EQ(client.next_event()->type, "stream-open");
  auto r = run_eventstream({"send", "--url", server.base_url(), "c", "t", "-"}, "{\n  \"multi\": \"line\"\n}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(client.next_event()->data, R"({"multi": "line"})");
}

TEST(Send, InvalidJsonIsAnInputError) {
  auto r = run_eventstream({"send", "c", "t", "{not json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("DATA is not valid JSON"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--raw"), std::string::npos) << r.err;
}

TEST(Send, NothingListeningNamesTheUrl) {
  // Port 1 on loopback: nothing of ours listens there.
  auto r = run_eventstream({"send", "--url", "http://127.0.0.1:1", "c", "t", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("http://127.0.0.1:1/publish/"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("eventstream serve"), std::string::npos) << r.err;
}

TEST(Send, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run_eventstream({"send", "onlychannel"}).exit_code, 2);
  EXPECT_EQ(run_eventstream({"send", "--no-such-flag", "c", "t", "1"}).exit_code, 2);
  EXPECT_EQ(run_eventstream({"frobnicate"}).exit_code, 2);
  auto help = run_eventstream({"send", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  auto version = run_eventstream({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.find("eventstream "), 0u);
}

TEST(Send, StdinLinesPublishesEveryLineInOrder) {
  ServerProcess server;
  SseClient client(server.host(), server.port(), "/events/?channel=a&channel=b");
  ASSERT_EQ(client.next_event()->type, "stream-open");
  std::string input;
  for (int n = 0; n < 1200; ++n)
    input += R"({"channel": ")" + std::string(n % 2 ? "b" : "a") + R"(", "type": "n", "data": )" + std::to_string(n) +
             "}\n";
  auto r = run_eventstream({"send", "--url", server.base_url(), "--stdin-lines"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1200);
  for (int n = 0; n < 1200; ++n) ASSERT_EQ(client.next_event()->data, std::to_string(n));
}

TEST(Send, StdinLinesStopsAtABadLineAndNamesIt) {
  ServerProcess server;
  auto r = run_eventstream({"send", "--url", server.base_url(), "--stdin-lines"},
                           "{\"channel\": \"a\", \"data\": 1}\n{\"channel\": \"a\"}\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"data\" is missing"), std::string::npos) << r.err;
}

TEST(Send, ServerRefusalOfATypeIsAnInputError) {
  ServerProcess server;
  auto r = run_eventstream({"send", "--url", server.base_url(), "c", "bad\ntype", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("type: has the control character 0x0a"), std::string::npos) << r.err;
  auto reserved = run_eventstream({"send", "--url", server.base_url(), "c", "stream-error", "1"});
  EXPECT_EQ(reserved.exit_code, 2);
  EXPECT_NE(reserved.err.find("'stream-error' is reserved"), std::string::npos) << reserved.err;
}
