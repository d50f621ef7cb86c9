// What the server has for browsers: the client script, and the viewer page for a person
// opening a stream URL (and only for them: programs keep getting the stream).
#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"

using namespace es::test;

namespace {
const std::string browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
}

TEST(Web, TheClientScriptIsServed) {
  ServerProcess server;
  auto script = http_request(server.host(), server.port(), "GET", "/static/eventstream.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.header("Content-Type"), "application/javascript; charset=utf-8");
  EXPECT_NE(script.body.find("class ReconnectingEventSource extends EventTarget"), std::string::npos);
  // HEAD: the same head, and no body to confuse the next response on the connection.
  auto head = raw_exchange(server.host(), server.port(),
                           "HEAD /static/eventstream.js HTTP/1.1\r\nHost: x\r\n\r\nHEAD /healthz HTTP/1.1\r\nHost: x\r\n"
                           "Connection: close\r\n\r\n");
  EXPECT_NE(head.find("Content-Length: " + std::to_string(script.body.size()) + "\r\n"), std::string::npos) << head;
  auto second = head.rfind("HTTP/1.1 200");
  EXPECT_NE(head.find("Content-Length: 3\r\n", second), std::string::npos) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;
}

TEST(Web, APersonOpeningAStreamUrlGetsTheViewer) {
  ServerProcess server;
  auto page = http_request(server.host(), server.port(), "GET", "/events/?channel=test", {{"Accept", browser_accept}});
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<title>eventstream viewer</title>"), std::string::npos);
  // Its one script runs by its hash; nothing else would.
  EXPECT_NE(page.header("Content-Security-Policy").find("script-src 'sha256-"), std::string::npos);
  EXPECT_EQ(page.header("Content-Security-Policy").find("script-src 'unsafe-inline'"), std::string::npos);

  // Programs get the stream: EventSource, curl, and Java's default Accept, which names
  // text/html first but is no browser.
  for (const std::string accept : {"text/event-stream", "*/*", "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"}) {
    SseClient client(server.host(), server.port(), "/events/?channel=test", {{"Accept", accept}});
    ASSERT_TRUE(client.read_head());
    EXPECT_EQ(client.header("Content-Type"), "text/event-stream") << accept;
  }
}
