// Requests an attacker sends (issue 15's probe), through the real binary: each gets a
// clear 4xx or 5xx, nothing it carries reaches a header of the answer, and the server
// keeps serving everyone else.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "auth/jwt.hpp"
#include "support/http_client.hpp"
#include "support/publish.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"
#include "support/temp_dir.hpp"

using namespace es::test;

namespace {

const std::string user_secret = "user-secret";

std::string token_for(const std::string& subject_json) {
  return es::auth::sign_hs256(R"({"sub": )" + subject_json + R"(, "exp": )" + std::to_string(std::time(nullptr) + 600) +
                                  "}",
                              user_secret);
}

std::string grip_sig() {
  return es::auth::sign_hs256(R"({"exp": )" + std::to_string(std::time(nullptr) + 600) + R"(, "iss": "pushpin"})",
                              "sigkey");
}

// The answer to `request` sent raw, until the server closed the connection.
struct RawAnswer {
  std::string status_line;
  std::string text;
};

RawAnswer send_raw(const ServerProcess& server, const std::string& request) {
  std::string got = raw_exchange(server.host(), server.port(), request);
  return {got.substr(0, got.find("\r\n")), got};
}

void expect_serving(ServerProcess& server) {
  EXPECT_TRUE(server.running());
  EXPECT_EQ(http_request(server.host(), server.port(), "GET", "/healthz").status, 200);
}

} // namespace

TEST(HostileRequests, ATrailerFieldOf64KiBIsRefusedAndTheServerServesOn) {
  ServerProcess server;
  auto answer = send_raw(server, "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " +
                                     std::string(65534, 'a') + "\r\n\r\n");
  EXPECT_EQ(answer.status_line, "HTTP/1.1 431 Request Header Fields Too Large") << answer.text;
  expect_serving(server);

  // With room for it, the trailer is read and dropped: still no crash.
  ServerProcess roomy({"--max-header-bytes", "200000"});
  answer = send_raw(roomy, "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                           "0\r\nX: " + std::string(70000, 'a') + "\r\n\r\n");
  EXPECT_EQ(answer.status_line, "HTTP/1.1 404 Not Found") << answer.text.substr(0, 300);
  expect_serving(roomy);
  EXPECT_EQ(roomy.stop(), 0);
  EXPECT_EQ(server.stop(), 0);
}

TEST(HostileRequests, AHeaderFieldOf64KiBIsRefusedWhenTheHeadLimitAllowsIt) {
  ServerProcess server({"--max-header-bytes", "200000"});
  auto answer = send_raw(server, "GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + std::string(65534, 'a') + "\r\n\r\n");
  EXPECT_EQ(answer.status_line, "HTTP/1.1 431 Request Header Fields Too Large") << answer.text;
  EXPECT_NE(answer.text.find("65533"), std::string::npos) << answer.text;
  expect_serving(server);
  EXPECT_EQ(server.stop(), 0);
}

TEST(HostileRequests, AGripLinkTooLargeForAHeaderGets500AndTheServerServesOn) {
  ServerProcess server({"--grip-sig-key", "sigkey", "--max-request-line", "60000", "--max-header-bytes", "70000"});
  // Every '!' is encoded as %21 in the link: 25,000 of them make it pass 64 KiB.
  auto res = http_request(server.host(), server.port(), "GET", "/events/?channel=test&x=" + std::string(25000, '!'),
                          {{"Grip-Sig", grip_sig()}});
  EXPECT_EQ(res.status, 500);
  EXPECT_NE(res.body.find("request id"), std::string::npos) << res.body;
  EXPECT_NE(server.stderr_text().find("header field 'Grip-Link' not written: the value is"), std::string::npos)
      << server.stderr_text();
  expect_serving(server);
  EXPECT_EQ(server.stop(), 0);
}

TEST(HostileRequests, ATokenWhoseUserHasAControlCharacterIsRefused) {
  ServerProcess server({"--grip-sig-key", "sigkey", "--auth-secret", user_secret, "--private", "_*"});
  auto mallory = token_for(R"("mallory\r\nGrip-Channel: events-_alice; filter=build-id, z")");
  auto res = http_request(server.host(), server.port(), "GET", "/events/?channel=test",
                          {{"Grip-Sig", grip_sig()}, {"Authorization", "Bearer " + mallory}});
  for (const auto& [name, value] : res.headers) EXPECT_FALSE(iequals(name, "Grip-Channel")) << value;
  EXPECT_NE(res.body.find("Invalid token: the token's \\\"sub\\\" (user id) has a control character"),
            std::string::npos)
      << res.body;

  SseClient direct(server.host(), server.port(), "/events/?channel=test", {{"Authorization", "Bearer " + mallory}});
  auto refused = direct.next_event();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->type, "stream-error");
  EXPECT_EQ(server.stop(), 0);
}

TEST(HostileRequests, TheGripLinkPathIsEncodedNotCopied) {
  ServerProcess server({"--grip-sig-key", "sigkey", "--route", "/events/{channel}/"});
  auto res = http_request(server.host(), server.port(), "GET", "/events/a%3E;rel=x/", {{"Grip-Sig", grip_sig()}});
  ASSERT_EQ(res.status, 200) << res.body;
  std::string link = res.header("Grip-Link");
  EXPECT_TRUE(link.starts_with("</events/a%3E%3Brel%3Dx/?")) << link;
  EXPECT_EQ(link.find(">"), link.find(">; rel=next")) << link;
  EXPECT_EQ(server.stop(), 0);
}

TEST(HostileRequests, TransferEncodingsOtherThanChunkedGet501AndTheConnectionCloses) {
  ServerProcess server;
  for (std::string coding : {"gzip", "chunked, gzip", "gzip, chunked", "identity"}) {
    auto answer = send_raw(server, "POST /publish/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding +
                                       "\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(answer.status_line, "HTTP/1.1 501 Not Implemented") << coding << ": " << answer.text;
    EXPECT_NE(answer.text.find("Connection: close"), std::string::npos) << answer.text;
    // What followed was not read as a second request.
    EXPECT_EQ(answer.text.find("HTTP/1.1 200"), std::string::npos) << answer.text;
  }
  auto answer = send_raw(server, "POST /publish/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(answer.status_line, "HTTP/1.1 400 Bad Request") << answer.text;
  expect_serving(server);
  EXPECT_EQ(server.stop(), 0);
}

TEST(HostileRequests, TrailerFieldsAreNeverTakenAsHeaders) {
  ServerProcess server({"--auth-secret", user_secret, "--private", "_*"});
  auto alice = token_for(R"("alice")");
  auto answer = send_raw(server, "GET /events/?channel=_alice HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                 "Connection: close\r\n\r\n0\r\nAuthorization: Bearer " + alice + "\r\n\r\n");
  EXPECT_NE(answer.text.find("event: stream-error"), std::string::npos) << answer.text;
  EXPECT_NE(answer.text.find("Permission denied to channels: _alice"), std::string::npos) << answer.text;
  EXPECT_EQ(answer.text.find("event: stream-open"), std::string::npos) << answer.text;
  EXPECT_EQ(server.stop(), 0);
}

TEST(HostileRequests, HeadsWithoutHostFoldedOrWithBareLineFeedsGet400) {
  ServerProcess server;
  struct Case {
    std::string head, expected;
  };
  for (const auto& [head, expected] : std::initializer_list<Case>{
           {"GET /healthz HTTP/1.1\r\n\r\n", "needs a Host header"},
           {"GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "several Host headers"},
           {"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued\r\n\r\n", "folded line"},
           {"GET /healthz HTTP/1.1\r\n Host: x\r\n\r\n", "folded line"},
           {"GET /healthz HTTP/1.1\nHost: x\n\n", "LF without CR"},
           {"GET /healthz HTTP/1.1\r\nHost: a b@c\r\n\r\n", "the Host header is not HOST[:PORT]"},
       }) {
    auto answer = send_raw(server, head);
    EXPECT_EQ(answer.status_line, "HTTP/1.1 400 Bad Request") << head;
    EXPECT_NE(answer.text.find(expected), std::string::npos) << answer.text;
  }
  // HTTP/1.0 needs no Host.
  EXPECT_EQ(send_raw(server, "GET /healthz HTTP/1.0\r\n\r\n").status_line, "HTTP/1.0 200 OK");
  // An empty line before a request line is skipped (RFC 9112 §2.2), after a body too.
  auto answer = send_raw(server, "\r\nPOST /publish/ HTTP/1.1\r\nHost: [::1]:8000\r\nContent-Length: 2\r\n\r\n{}\r\n"
                                 "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(answer.status_line, "HTTP/1.1 400 Bad Request") << answer.text; // {} is not an event
  EXPECT_NE(answer.text.find("HTTP/1.1 200 OK"), std::string::npos) << answer.text;
  expect_serving(server);
  EXPECT_EQ(server.stop(), 0);
}

TEST(HostileRequests, TheBearerSchemeIsMatchedInAnyCase) {
  ServerProcess server({"--auth-secret", user_secret, "--private", "_*", "--publish-key", "k"});
  for (std::string scheme : {"bearer", "BEARER", "Bearer"}) {
    SseClient client(server.host(), server.port(), "/events/?channel=_alice",
                     {{"Authorization", scheme + " " + token_for(R"("alice")")}});
    auto first = client.next_event();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->type, "stream-open") << scheme << ": " << first->data;
    auto published = http_request(server.host(), server.port(), "POST", "/publish/", {{"Authorization", scheme + " k"}},
                                  R"({"channel": "test", "data": 1})");
    EXPECT_EQ(published.status, 200) << scheme << ": " << published.body;
  }
  EXPECT_EQ(http_request(server.host(), server.port(), "POST", "/publish/", {{"Authorization", "Basic k"}},
                         R"({"channel": "test", "data": 1})")
                .status,
            403);
  EXPECT_EQ(server.stop(), 0);
}

TEST(HostileRequests, ALogReaderThatGoesAwayDoesNotEndTheServer) {
  TempDir dir;
  std::string fifo = dir.path() + "/log";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ServerProcess server({"--log-file", fifo});
  ::close(reader);
  // Every request writes an access line into the pipe nobody reads any more.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(http_request(server.host(), server.port(), "GET", "/healthz").status, 200);
  expect_serving(server);
  EXPECT_EQ(server.stop(), 0);
}

TEST(HostileRequests, UrlsOfTheCommandLineAreLoggedWithoutTheirSecrets) {
  // A webhook that does not answer: every stream request logs that, once a minute.
  ServerProcess server({"--auth-url", "http://webuser:hunter2@127.0.0.1:1/check?api_key=APIKEY123"});
  for (int i = 0; i < 3; ++i) {
    SseClient refused(server.host(), server.port(), "/events/?channel=a");
    EXPECT_EQ(refused.next_event()->type, "stream-error");
  }
  auto log = server.stderr_text();
  EXPECT_NE(log.find("permission webhook http://REDACTED@127.0.0.1:1/check?api_key=REDACTED failed"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("hunter2"), std::string::npos) << log;
  EXPECT_EQ(log.find("APIKEY123"), std::string::npos) << log;
  EXPECT_NE(log.find("more of these this minute are not logged"), std::string::npos) << log;

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"serve", "127.0.0.1:0", "--storage", "redis", "--redis", "redis://:hunter2@127.0.0.1:x"},
        std::vector<std::string>{"serve", "127.0.0.1:0", "--grip-url", "http://127.0.0.1:5561/?key=hunter2&bogus=1"}}) {
    auto run = run_eventstream(args);
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.err.find("REDACTED"), std::string::npos) << run.err;
    EXPECT_EQ(run.err.find("hunter2"), std::string::npos) << run.err;
  }
}

TEST(HostileRequests, AHeaderValueFromAFlagThatIsNotOneLineIsRefusedAtStart) {
  for (std::string flag : {"--allow-origin", "--allow-headers"}) {
    auto run = run_eventstream({"serve", "127.0.0.1:0", flag, "https://a.example\r\nSet-Cookie: pwn=1"});
    EXPECT_NE(run.exit_code, 0) << flag;
    EXPECT_NE(run.err.find(flag + " cannot be sent: header field"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("control character 0x0d"), std::string::npos) << run.err;
  }
}
