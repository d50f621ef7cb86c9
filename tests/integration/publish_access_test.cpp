// Who may publish without --publish-key: a program on this machine, not a client whose
// request a proxy on this machine forwarded (its peer is loopback too); and --publish-addr,
// the listener of its own that keeps publishing off the port proxies forward to.
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/nginx_process.hpp"
#include "support/publish.hpp"
#include "support/pushpin_process.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

const std::string event = R"({"channel": "a", "data": 1})";
const std::string kick = R"({"user": "alice", "channel": "a"})";

HttpResponse post(int port, const std::string& path, const std::string& body, const Headers& headers = {}) {
  Headers all = headers;
  all.emplace_back("Content-Type", "application/json");
  return http_request("127.0.0.1", port, "POST", path, all, body);
}

// POST /publish/ on a connection from `source`, and all the server answers until it closes.
std::string publish_from(int port, const std::string& source) {
  int fd = connect_tcp("127.0.0.1", port, 0, source);
  send_all(fd, format_request("POST", "/publish/",
                              {{"Host", "x"}, {"Content-Type", "application/json"},
                               {"Content-Length", std::to_string(event.size())}, {"Connection", "close"}},
                              {}, event));
  std::string answer;
  while (recv_some(fd, answer, Clock::now() + 5s) == RecvStatus::data) {
  }
  ::close(fd);
  return answer;
}

void expect_refused_as_proxied(const HttpResponse& res, const std::string& header) {
  EXPECT_EQ(res.status, 403) << header << ": " << res.body;
  EXPECT_NE(res.body.find("came through a proxy (it has a " + header + " header)"), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("start the server with --publish-key"), std::string::npos) << res.body;
}

} // namespace

TEST(PublishAccess, ARequestWithAProxyHeaderIsNotLocal) {
  ServerProcess server;
  // Whatever the value: a Grip-Sig that does not verify shows a proxy as well as one that does.
  const Headers proxied{{"Grip-Sig", "not.a.jwt"},
                        {"Grip-Feature", "status"},
                        {"Forwarded", "for=203.0.113.7"},
                        {"X-Forwarded-For", "203.0.113.7"},
                        {"X-Forwarded-Proto", "https"},
                        {"X-Forwarded-Host", "example.com"},
                        {"X-Real-IP", "203.0.113.7"},
                        {"Via", "1.1 proxy"}};
  for (const auto& header : proxied) {
    expect_refused_as_proxied(post(server.port(), "/publish/", event, {header}), header.first);
    expect_refused_as_proxied(post(server.port(), "/kick/", kick, {header}), header.first);
  }
  EXPECT_EQ(post(server.port(), "/publish/", event).status, 200);
  EXPECT_EQ(post(server.port(), "/kick/", kick).status, 200);

  // With a key, the key decides, through a proxy or not.
  ServerProcess keyed({"--publish-key", "s3cret"});
  const Headers keyed_proxied{{"X-Forwarded-For", "203.0.113.7"}, {"Authorization", "Bearer s3cret"}};
  EXPECT_EQ(post(keyed.port(), "/publish/", event, keyed_proxied).status, 200);
}

TEST(PublishAccess, NoOneThroughPushpinPublishesWithoutAKey) {
  int port = free_port();
  PushpinProcess pushpin(port);
  ServerProcess server({"--grip-url", pushpin.control_url(), "--grip-sig-key", PushpinProcess::sig_key},
                       "127.0.0.1:" + std::to_string(port));
  expect_refused_as_proxied(post(pushpin.http_port(), "/publish/", event), "Grip-Sig");
  expect_refused_as_proxied(post(pushpin.http_port(), "/kick/", kick), "Grip-Sig");
  EXPECT_EQ(publish_body(server, event).status, 200); // the application, on this machine
  EXPECT_NE(server.stderr_text().find("a GRIP proxy without --publish-key or --publish-addr"), std::string::npos)
      << server.stderr_text();
}

TEST(PublishAccess, BehindNginxForwardedForShowsTheProxyAndABareProxyPassDoesNot) {
  ServerProcess server;
  NginxProcess forwarding(server.port(), "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
                                         "proxy_set_header X-Real-IP $remote_addr;");
  expect_refused_as_proxied(post(forwarding.port(), "/publish/", event), "X-Forwarded-For");

  // Nothing tells this one from a local program: what --publish-addr is for.
  NginxProcess bare(server.port(), "");
  EXPECT_EQ(post(bare.port(), "/publish/", event).status, 200);
  ServerProcess apart({"--publish-addr", "127.0.0.1:0"});
  NginxProcess bare_to_apart(apart.port(), "");
  auto through = post(bare_to_apart.port(), "/publish/", event);
  EXPECT_EQ(through.status, 404) << through.body;
}

TEST(PublishAccess, PublishAddrServesPublishingAndTheMainAddressTheRest) {
  ServerProcess server({"--publish-addr", "127.0.0.1:0"});
  int publishing = server.publish_port();
  ASSERT_NE(publishing, server.port());
  EXPECT_NE(server.stdout_text().find("listening on " + server.base_url() + " (routes: /events/; publish: http://"),
            std::string::npos)
      << server.stdout_text();

  SseClient stream(server.host(), server.port(), "/events/?channel=a");
  ASSERT_EQ(stream.next_event()->type, "stream-open");
  auto published = post(publishing, "/publish/", event);
  EXPECT_EQ(published.status, 200) << published.body;
  auto delivered = stream.next_event();
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->id, "a:1");
  EXPECT_EQ(post(publishing, "/kick/", kick).body, "{\"ended\": 0}\n");
  auto sent = run_eventstream({"send", "--url", "http://127.0.0.1:" + std::to_string(publishing), "a", "t", "2"});
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  // There too, a request through a proxy is not local.
  expect_refused_as_proxied(post(publishing, "/publish/", event, {{"Via", "1.1 proxy"}}), "Via");

  // The main address does not publish, and says so without naming the private address.
  std::string there = "127.0.0.1:" + std::to_string(publishing);
  for (const char* path : {"/publish/", "/kick/"}) {
    auto res = post(server.port(), path, event);
    EXPECT_EQ(res.status, 404);
    EXPECT_NE(res.body.find("publishing is at this server's --publish-addr"), std::string::npos) << res.body;
    EXPECT_EQ(res.body.find(there), std::string::npos) << res.body;
  }
  auto unknown = http_request(server.host(), server.port(), "GET", "/nowhere");
  EXPECT_NE(unknown.body.find("publishing at this server's --publish-addr"), std::string::npos) << unknown.body;
  EXPECT_EQ(unknown.body.find(there), std::string::npos) << unknown.body;

  // The publish address serves no streams or pages, and says where they are; health and
  // metrics are on both.
  for (const char* target : {"/events/?channel=a", "/static/eventstream.js", "/events/"}) {
    auto res = http_request("127.0.0.1", publishing, "GET", target, {{"Accept", "text/html"}});
    EXPECT_EQ(res.status, 404) << target;
    EXPECT_NE(res.body.find("streams are at " + server.base_url() + " (/events/)"), std::string::npos) << res.body;
  }
  for (const char* target : {"/healthz", "/readyz", "/metrics"}) {
    EXPECT_EQ(http_request("127.0.0.1", publishing, "GET", target).status, 200) << target;
    EXPECT_EQ(http_request(server.host(), server.port(), "GET", target).status, 200) << target;
  }
  EXPECT_EQ(server.stop(), 0);
}

// Clients of the public address cannot lock the application out: the connection limits
// are the public address's, and publishing goes on when it is full.
TEST(PublishAccess, AFullPublicAddressLeavesPublishingOpen) {
  ServerProcess server(
      {"--publish-addr", "127.0.0.1:0", "--max-connections", "1", "--max-connections-per-address", "1"});
  int publishing = server.publish_port();
  SseClient stream(server.host(), server.port(), "/events/?channel=a");
  ASSERT_EQ(stream.next_event()->type, "stream-open");
  auto refused = http_request(server.host(), server.port(), "GET", "/healthz");
  EXPECT_EQ(refused.status, 503);
  auto answer = publish_from(publishing, "127.0.0.1");
  EXPECT_NE(answer.find("HTTP/1.1 200 "), std::string::npos) << answer;
  EXPECT_EQ(stream.next_event()->id, "a:1");
}

TEST(PublishAccess, BehindPushpinThePublishAddrIsWherePublishingHappens) {
  int port = free_port();
  PushpinProcess pushpin(port);
  ServerProcess server({"--grip-url", pushpin.control_url(), "--grip-sig-key", PushpinProcess::sig_key,
                        "--publish-addr", "127.0.0.1:0"},
                       "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(server.stderr_text().find("without --publish-key or --publish-addr"), std::string::npos)
      << server.stderr_text();
  auto client = pushpin.open_stream("/events/?channel=a");
  ASSERT_EQ(client->next_event()->type, "stream-open");
  EXPECT_EQ(post(pushpin.http_port(), "/publish/", event).status, 404);
  EXPECT_EQ(post(server.publish_port(), "/publish/", event).status, 200);
  auto delivered = client->next_event();
  ASSERT_TRUE(delivered) << client->body() << pushpin.log_text();
  EXPECT_EQ(delivered->id, "a:1");
}

TEST(PublishAccess, ServeWarnsOfAGripProxyWithoutAKeyOrAPublishAddr) {
  const std::string warning = "a GRIP proxy without --publish-key or --publish-addr";
  for (const auto& args : std::vector<std::vector<std::string>>{{"--grip-url", "http://127.0.0.1:1"},
                                                                {"--grip-sig-key", "k"}}) {
    ServerProcess server(args);
    EXPECT_NE(server.stderr_text().find(warning), std::string::npos) << server.stderr_text();
  }
  for (const auto& extra : std::vector<std::vector<std::string>>{{"--publish-key", "s3cret"},
                                                                 {"--publish-addr", "127.0.0.1:0"}}) {
    std::vector<std::string> args{"--grip-url", "http://127.0.0.1:1"};
    args.insert(args.end(), extra.begin(), extra.end());
    ServerProcess server(args);
    EXPECT_EQ(server.stderr_text().find(warning), std::string::npos) << server.stderr_text();
  }
  auto bad = run_eventstream({"serve", "--publish-addr", "localhost"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--publish-addr: 'localhost' has no valid port"), std::string::npos) << bad.err;
}
