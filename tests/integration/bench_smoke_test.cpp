// The benchmark kit's load generator, run small against the real server so it never
// rots. Real runs are `bash bench/run.sh` (docs/performance.md), not part of CI.
#include <gtest/gtest.h>

#include "support/server_process.hpp"

using namespace es::test;

namespace {

// A TLS server here publishes on its --publish-addr port: loadgen's publishers are plain.
ServerProcess tls_server() { return ServerProcess({"--tls-self-signed", "--publish-addr", "127.0.0.1:0"}); }

CommandResult loadgen(const ServerProcess& server, std::vector<std::string> args, const std::string& channel = "bench") {
  bool tls = server.base_url().starts_with("https://");
  std::string publish = tls ? "http://127.0.0.1:" + std::to_string(server.publish_port()) : server.base_url();
  std::vector<std::string> all{"--target", "eventstream", "--channel", channel, "--sub-url",
                               server.base_url() + "/events/?channel=" + channel,
                               "--pub-url", publish + "/publish/", "--server-pid",
                               std::to_string(server.pid())};
  all.insert(all.end(), args.begin(), args.end());
  return run_program(LOADGEN_BIN, all, "", std::chrono::seconds(60));
}

} // namespace

TEST(BenchSmoke, FanoutChecksEveryEvent) {
  ServerProcess server;
  auto r = loadgen(server, {"--workload", "fanout", "--subscribers", "20", "--rate", "200", "--duration", "1",
                            "--publishers", "2", "--threads", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("lost 0 reordered 0"), std::string::npos) << r.out;
}

TEST(BenchSmoke, PublishAndReplay) {
  ServerProcess server({"--storage", "memory"});
  auto publish = loadgen(server, {"--workload", "publish", "--subscribers", "1", "--rate", "0", "--duration", "1",
                                  "--publishers", "2", "--batch", "10"});
  EXPECT_EQ(publish.exit_code, 0) << publish.out << publish.err;
  auto replay = loadgen(server, {"--workload", "replay", "--replay-events", "500", "--batch", "100"}, "behind");
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("deliveries        500"), std::string::npos) << replay.out;
}

TEST(BenchSmoke, FanoutOverTls) {
  auto server = tls_server();
  auto r = loadgen(server, {"--workload", "fanout", "--subscribers", "20", "--rate", "200", "--duration", "1",
                            "--threads", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("subs     20/20"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("lost 0 reordered 0"), std::string::npos) << r.out;
}

TEST(BenchSmoke, NewConnectionsOverTlsAndInTheClear) {
  auto tls = tls_server();
  auto with_tls = loadgen(tls, {"--workload", "handshakes", "--handshakes", "40", "--concurrency", "4"});
  EXPECT_EQ(with_tls.exit_code, 0) << with_tls.out << with_tls.err;
  EXPECT_NE(with_tls.out.find("handshakes TLS 40/40 completed"), std::string::npos) << with_tls.out;
  ServerProcess plain;
  auto clear = loadgen(plain, {"--workload", "handshakes", "--handshakes", "40", "--concurrency", "4"});
  EXPECT_EQ(clear.exit_code, 0) << clear.out << clear.err;
  EXPECT_NE(clear.out.find("handshakes plain 40/40 completed"), std::string::npos) << clear.out;
}

TEST(BenchSmoke, FanoutOverHttp2StreamsSharingConnections) {
  // 20 subscribers as 3 connections of at most 8 streams: over TLS (ALPN h2), and with
  // prior knowledge on a plain port.
  auto tls = tls_server();
  auto over_tls = loadgen(tls, {"--workload", "fanout", "--h2", "--streams-per-connection", "8", "--subscribers", "20",
                                "--rate", "200", "--duration", "1", "--threads", "2"});
  EXPECT_EQ(over_tls.exit_code, 0) << over_tls.out << over_tls.err;
  EXPECT_NE(over_tls.out.find("subs     20/20"), std::string::npos) << over_tls.out;
  EXPECT_NE(over_tls.out.find("lost 0 reordered 0"), std::string::npos) << over_tls.out;
  ServerProcess plain;
  auto h2c = loadgen(plain, {"--workload", "fanout", "--h2", "--streams-per-connection", "8", "--subscribers", "20",
                             "--rate", "200", "--duration", "1"});
  EXPECT_EQ(h2c.exit_code, 0) << h2c.out << h2c.err;
  EXPECT_NE(h2c.out.find("lost 0 reordered 0"), std::string::npos) << h2c.out;
}
