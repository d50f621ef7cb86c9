// `eventstream serve-ngrok` against stand-ins for what cannot run here: ngrok's agent API
// (GET /api/tunnels) and a Fanout realm's API (POST /realm/<id>/http/default/), both
// real HTTP servers on loopback speaking the documented formats (docs/protocol.md §15).
#include <gtest/gtest.h>

#include <ctime>
#include <mutex>

#include "auth/jwt.hpp"
#include "support/fake_http_server.hpp"
#include "support/publish.hpp"
#include "support/pushpin_process.hpp"
#include "support/server_process.hpp"
#include "support/sse_client.hpp"

using namespace es::test;

namespace {

const std::string realm_key = "realm secret"; // base64: cmVhbG0gc2VjcmV0

std::string tunnel(const std::string& name, const std::string& proto, const std::string& public_url,
                   const std::string& addr) {
  return R"({"name": ")" + name + R"(", "uri": "/api/tunnels/x", "public_url": ")" + public_url + R"(", "proto": ")" +
         proto + R"(", "config": {"addr": ")" + addr + R"(", "inspect": true}, "metrics": {}})";
}

std::string tunnel_list(const std::vector<std::string>& tunnels) {
  std::string list;
  for (const auto& t : tunnels) list += (list.empty() ? "" : ", ") + t;
  return R"({"tunnels": [)" + list + R"(], "uri": "/api/tunnels"})";
}

FakeReply realm_api(const FakeRequest& request) {
  if (request.method != "POST" || request.target != "/realm/myrealm/http/default/")
    return {404, R"({"error": "not found"})"};
  return {200, "{}"};
}

struct Fakes {
  int port = free_port();
  // The fake agent's thread reads them when the binary under test asks; ThreadSanitizer
  // cannot see that the test wrote them before starting that process.
  void set_tunnels(std::string list) {
    std::lock_guard lock(mutex);
    tunnels = std::move(list);
  }
  std::mutex mutex;
  std::string tunnels;
  FakeHttpServer ngrok{[this](const FakeRequest& request) {
    std::lock_guard lock(mutex);
    if (request.method == "GET" && request.target == "/api/tunnels") return FakeReply{200, tunnels};
    return FakeReply{404, "not found"};
  }};
  FakeHttpServer fanout{realm_api};

  std::string grip_url() const { return fanout.url() + "/realm/myrealm?iss=myrealm&key=base64:cmVhbG0gc2VjcmV0"; }
  std::string local() const { return "http://localhost:" + std::to_string(port); }
  CommandResult run(std::vector<std::string> args = {}) const {
    std::vector<std::string> all{"serve-ngrok", "127.0.0.1:" + std::to_string(port), "--ngrok-api", ngrok.url()};
    all.insert(all.end(), args.begin(), args.end());
    return run_eventstream(all);
  }
};

// Fields of a form body, in order.
std::vector<std::string> fields(const std::string& body) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at <= body.size();) {
    auto amp = body.find('&', at);
    out.push_back(body.substr(at, amp == std::string::npos ? std::string::npos : amp - at));
    if (amp == std::string::npos) break;
    at = amp + 1;
  }
  return out;
}

} // namespace

TEST(ServeNgrok, RegistersTheTunnelWithTheRealmThenServes) {
  Fakes setup;
  setup.set_tunnels(tunnel_list({tunnel("command_line", "https", "https://abc123.ngrok.io", setup.local()),
                               tunnel("command_line (http)", "http", "http://abc123.ngrok.io", setup.local())}));
  ServerProcess server({"--ngrok-api", setup.ngrok.url(), "--grip-url", setup.grip_url()},
                       "127.0.0.1:" + std::to_string(setup.port), "serve-ngrok");
  EXPECT_NE(server.stdout_text().find("Setting ngrok tunnel abc123.ngrok.io as GRIP origin\n"), std::string::npos)
      << server.stdout_text();

  auto calls = setup.fanout.requests();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, "POST");
  EXPECT_EQ(calls[0].target, "/realm/myrealm/http/default/");
  EXPECT_EQ(calls[0].header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(fields(calls[0].body), (std::vector<std::string>{"host=abc123.ngrok.io", "port=80", "ssl_host=abc123.ngrok.io",
                                                             "ssl_port=443", "rewrite_host=true", "over_http=true"}));
  // Authenticated as publishing is: an HS256 JWT with the realm as issuer, made with its key.
  auto authorization = calls[0].header("Authorization");
  ASSERT_TRUE(authorization.starts_with("Bearer ")) << authorization;
  auto claims = es::auth::verified_hs256_payload(authorization.substr(7), realm_key);
  EXPECT_EQ(std::string(claims["iss"].GetString()), "myrealm");
  EXPECT_GT(claims["exp"].GetInt64(), std::time(nullptr));

  // Then it serves, exactly like serve.
  SseClient client(server.host(), server.port(), "/events/?channel=test");
  ASSERT_EQ(client.next_event()->type, "stream-open");
  publish(server, "test", "message", "1");
  EXPECT_EQ(client.next_event()->id, "test:1");
  EXPECT_EQ(server.stop(), 0);
}

TEST(ServeNgrok, PrefersTheTunnelToThisPortAndSaysWhichItTook) {
  Fakes setup;
  setup.set_tunnels(tunnel_list({tunnel("other", "https", "https://other.ngrok.io", "http://localhost:3000"),
                               tunnel("tcp", "tcp", "tcp://0.tcp.ngrok.io:12345", setup.local()),
                               tunnel("ours", "https", "https://ours.ngrok.io", setup.local()),
                               tunnel("ours (http)", "http", "http://ours.ngrok.io", setup.local())}));
  auto result = setup.run({"--grip-url", setup.grip_url(), "--dry-run"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("Using ngrok tunnel https://ours.ngrok.io, http://ours.ngrok.io -> " + setup.local() +
                            " (of 3 tunnels, the one forwarding to port " + std::to_string(setup.port) + ")"),
            std::string::npos)
      << result.out;
  // A dry run shows the request and sends nothing.
  EXPECT_NE(result.out.find("Would POST " + setup.fanout.url() + "/realm/myrealm/http/default/ host=ours.ngrok.io&port=80&"
                            "ssl_host=ours.ngrok.io&ssl_port=443&rewrite_host=true&over_http=true"),
            std::string::npos)
      << result.out;
  EXPECT_TRUE(setup.fanout.requests().empty());
}

TEST(ServeNgrok, HttpOnlyOrHttpsOnlyTunnels) {
  Fakes setup;
  setup.set_tunnels(tunnel_list({tunnel("a", "https", "https://secure.ngrok.io", setup.local())}));
  auto https_only = setup.run({"--grip-url", setup.grip_url(), "--dry-run"});
  EXPECT_NE(https_only.out.find(" ssl_host=secure.ngrok.io&ssl_port=443&rewrite_host=true"), std::string::npos)
      << https_only.out;

  setup.set_tunnels(tunnel_list({tunnel("a", "http", "http://plain.ngrok.io:8080", "8000")}));
  auto http_only = setup.run({"--grip-url", setup.grip_url(), "--dry-run"});
  EXPECT_NE(http_only.out.find(" host=plain.ngrok.io&port=8080&rewrite_host=true"), std::string::npos) << http_only.out;
  EXPECT_NE(http_only.out.find("(none of the 1 tunnels forwards to port " + std::to_string(setup.port)), std::string::npos)
      << http_only.out;
}

TEST(ServeNgrok, EveryFailureIsOneClearLineAndExitOne) {
  Fakes setup;
  setup.set_tunnels(tunnel_list({tunnel("a", "https", "https://abc.ngrok.io", setup.local())}));
  auto line = [](const CommandResult& r) { return r.err.substr(0, r.err.find('\n')); };

  auto no_proxy = setup.run();
  EXPECT_EQ(no_proxy.exit_code, 1);
  EXPECT_TRUE(line(no_proxy).starts_with("eventstream serve-ngrok: no GRIP proxy configured")) << no_proxy.err;

  auto pushpin = setup.run({"--grip-url", "http://127.0.0.1:5561"});
  EXPECT_EQ(pushpin.exit_code, 1);
  EXPECT_NE(line(pushpin).find("is not a Fanout realm"), std::string::npos) << pushpin.err;

  auto unreachable = run_eventstream({"serve-ngrok", "127.0.0.1:" + std::to_string(setup.port), "--grip-url",
                                      setup.grip_url(), "--ngrok-api", "http://127.0.0.1:" + std::to_string(free_port())});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(line(unreachable).find("cannot reach ngrok's agent"), std::string::npos) << unreachable.err;
  EXPECT_NE(line(unreachable).find("ngrok http " + std::to_string(setup.port)), std::string::npos);

  setup.set_tunnels(tunnel_list({tunnel("t", "tcp", "tcp://0.tcp.ngrok.io:1", setup.local())}));
  auto none = setup.run({"--grip-url", setup.grip_url()});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(line(none).find("no ngrok tunnels found"), std::string::npos) << none.err;

  setup.set_tunnels("<html>not the agent</html>");
  auto garbage = setup.run({"--grip-url", setup.grip_url()});
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_NE(line(garbage).find("did not answer with a tunnel list"), std::string::npos) << garbage.err;

  setup.set_tunnels(tunnel_list({tunnel("a", "https", "https://abc.ngrok.io", setup.local())}));
  auto refused = setup.run({"--grip-url", setup.fanout.url() + "/realm/otherrealm?iss=otherrealm&key=k"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(line(refused).find("failed to set origin for service " + setup.fanout.url() +
                               "/realm/otherrealm: the realm API answered 404: {\"error\": \"not found\"}"),
            std::string::npos)
      << refused.err;
  EXPECT_TRUE(refused.out.find("Setting ngrok tunnel abc.ngrok.io as GRIP origin") != std::string::npos);
}
