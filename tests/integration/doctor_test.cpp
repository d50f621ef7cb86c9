// `eventstream doctor` on a clean path, and through a real nginx configured the ways that
// hurt streams.
#include <gtest/gtest.h>

#include "support/nginx_process.hpp"
#include "support/server_process.hpp"

using namespace es::test;
using namespace std::chrono_literals;

TEST(Doctor, ACleanPathHasNoProblems) {
  ServerProcess server({"--keep-alive", "1"});
  auto report = run_eventstream({"doctor", server.base_url() + "/events/?channel=test", "--publish-url",
                                 server.base_url(), "--idle", "2"}, "", 30s);
  EXPECT_EQ(report.exit_code, 0) << report.out;
  for (const char* line : {"ok       200 ", "ok       first event (stream-open)", "2 KiB padding comment is sent",
                           "ok       a published probe arrived", "ok       an idle stream stayed open",
                           "ok       Last-Event-ID resumes", "no problems found"})
    EXPECT_NE(report.out.find(line), std::string::npos) << line << "\n" << report.out;
}

TEST(Doctor, FindsBufferingCompressionAndIdleCutsInAProxy) {
  ServerProcess server;
  // Buffering the server asked it not to do, gzip for streams, and a 2 s read timeout.
  NginxProcess nginx(server.port(), "proxy_buffering on; proxy_ignore_headers X-Accel-Buffering;\n"
                                    "      gzip on; gzip_types text/event-stream; gzip_min_length 1;\n"
                                    "      proxy_read_timeout 2s;");
  auto report = run_eventstream({"doctor", nginx.url() + "/events/?channel=test", "--publish-url", server.base_url(),
                                 "--idle", "4"}, "", 60s);
  EXPECT_EQ(report.exit_code, 1) << report.out;
  // nginx holds everything back until the read timeout ends the response.
  for (const char* line : {"in between: server: nginx", "PROBLEM  the headers took 2.", "fix: turn buffering off",
                           "PROBLEM  the stream is compressed (Content-Encoding: gzip)",
                           "PROBLEM  the stream was closed "})
    EXPECT_NE(report.out.find(line), std::string::npos) << line << "\n" << report.out;

  auto broken = run_eventstream({"doctor", server.base_url() + "/nowhere/", "--idle", "0"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.out.find("PROBLEM  the stream answered 404"), std::string::npos) << broken.out;
}

TEST(Doctor, FindsAnIdleTimeoutShorterThanTheKeepAlive) {
  ServerProcess server; // keep-alives every 20 s
  NginxProcess nginx(server.port(), "proxy_read_timeout 2s;");
  auto report = run_eventstream({"doctor", nginx.url() + "/events/?channel=test", "--publish-url", server.base_url(),
                                 "--idle", "5"}, "", 60s);
  EXPECT_EQ(report.exit_code, 1) << report.out;
  for (const char* line : {"ok       first event (stream-open)", "ok       a published probe arrived",
                           "PROBLEM  the stream was closed 2.", "fix: send keep-alives more often than that timeout",
                           "ok       Last-Event-ID resumes", "1 problem found"})
    EXPECT_NE(report.out.find(line), std::string::npos) << line << "\n" << report.out;
}
