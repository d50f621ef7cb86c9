// The benchmark kit's load generator, run small against the real server so it never
// rots. Real runs are `bash bench/run.sh` (docs/performance.md), not part of CI.
#include <gtest/gtest.h>

#include "support/server_process.hpp"

using namespace es::test;

namespace {

CommandResult loadgen(const ServerProcess& server, std::vector<std::string> args, const std::string& channel = "bench") {
  std::vector<std::string> all{"--target", "eventstream", "--channel", channel, "--sub-url",
                               server.base_url() + "/events/?channel=" + channel,
                               "--pub-url", server.base_url() + "/publish/", "--server-pid",
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
