// Hardening (issue 10): the server under the faults an operator meets in production, each
// made real rather than mocked: a disk that fills up, a database that turns read-only,
// the GRIP proxy or Redis going away, ten thousand clients that stop reading. Each test
// checks what the operator would: the answer publishers get, the log, what streams
// receive, what a resume returns, the server's memory and open connections.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <thread>

#include "support/namespaces.hpp"
#include "support/publish.hpp"
#include "support/pushpin_process.hpp"
#include "support/redis_process.hpp"
#include "support/sse_client.hpp"

using namespace es::test;
using namespace std::chrono_literals;

namespace {

// The stored events of `channel` up to `channel:last`, as a client resuming from its
// first event receives them. Ids are contiguous, so an event stored without being
// acknowledged would show as an id whose data is not the acknowledged one.
std::vector<SseEvent> resume_from_start(const ServerProcess& server, const std::string& channel, int last) {
  SseClient client(server.host(), server.port(), "/events/?channel=" + channel, {{"Last-Event-ID", channel + ":0"}});
  std::string end = channel + ":" + std::to_string(last);
  auto events = client.events_until([&](const SseEvent& e) { return e.id == end; }, 10s);
  std::erase_if(events, [](const SseEvent& e) { return e.type == "stream-open"; });
  return events;
}

// The number before the first comma of data like `[7, "xxx"]`.
std::string leading_number(const SseEvent& event) { return event.data.substr(1, event.data.find(',') - 1); }

// Waits (bounded) until the server's log holds `text` at least `times` times.
bool log_shows(const ServerProcess& server, const std::string& text, std::size_t times = 1,
               std::chrono::seconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto log = server.stderr_text();
    std::size_t found = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + text.size())) ++found;
    if (found >= times) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
}

// chattr +i / -i. Returns "" or why it failed.
std::string set_immutable(const std::string& path, bool on) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  int flags = 0;
  bool ok = fd >= 0 && ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
  ok = ok && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  std::string why = ok ? "" : path + ": " + std::strerror(errno);
  if (fd >= 0) ::close(fd);
  return why;
}

// Files that refuse every write, from root and through descriptors already open, until
// the object goes (then they are writable again, whatever happened in between).
class ImmutableFiles {
public:
  explicit ImmutableFiles(std::vector<std::string> paths) : paths_(std::move(paths)) {
    for (const auto& path : paths_) error_ += set_immutable(path, true);
  }
  ~ImmutableFiles() {
    for (const auto& path : paths_) set_immutable(path, false);
  }
  const std::string& error() const { return error_; }

private:
  std::vector<std::string> paths_;
  std::string error_;
};

// A disk that fills up while events are published, then gets room again through
// `make_room`: publishes get a clear 503 meanwhile, nothing refused is stored or
// delivered, streams go on, and publishing works again without a restart.
void fill_refuse_recover(ServerProcess& server, const std::string& db, const std::string& why,
                         const std::function<void()>& make_room) {
  SseClient live(server.host(), server.port(), "/events/?channel=full");
  ASSERT_EQ(live.next_event()->type, "stream-open");
  const std::string payload(10000, 'x');
  auto event = [&](int n) { return R"({"channel": "full", "data": [)" + std::to_string(n) + R"(, ")" + payload + "\"]}"; };
  int acknowledged = 0;
  HttpResponse refused;
  for (int n = 1; n <= 500; ++n) {
    auto answer = publish_body(server, event(n));
    if (answer.status != 200) {
      refused = answer;
      break;
    }
    ASSERT_EQ(answer.body, "{\"ids\": [\"full:" + std::to_string(n) + "\"]}\n");
    acknowledged = n;
  }
  ASSERT_GT(acknowledged, 0);
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.header("Content-Type"), "application/json");
  EXPECT_NE(refused.body.find("database " + db + " is full (" + why), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("nothing was stored"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("Free space"), std::string::npos) << refused.body;
  EXPECT_TRUE(log_shows(server, "publish failed: database " + db + " is full")) << server.stderr_text();

  // Still full, and still up.
  EXPECT_EQ(publish_body(server, numbered_batch("full", 1000, 20)).status, 503);
  EXPECT_TRUE(server.running());
  EXPECT_EQ(http_request(server.host(), server.port(), "GET", "/healthz").status, 200);

  // Streams go on, with exactly the acknowledged events, live and from storage.
  for (int n = 1; n <= acknowledged; ++n) {
    auto e = live.next_event();
    ASSERT_TRUE(e);
    ASSERT_EQ(e->id, "full:" + std::to_string(n));
  }
  auto stored = resume_from_start(server, "full", acknowledged);
  ASSERT_EQ(stored.size(), static_cast<std::size_t>(acknowledged));
  for (int n = 1; n <= acknowledged; ++n) EXPECT_EQ(leading_number(stored[n - 1]), std::to_string(n));

  // Room again: publishing works, and the refused events never appear.
  make_room();
  const int next = acknowledged + 1;
  auto again = publish_body(server, event(next));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.body, "{\"ids\": [\"full:" + std::to_string(next) + "\"]}\n");
  auto e = live.next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, "full:" + std::to_string(next));
  EXPECT_EQ(leading_number(*e), std::to_string(next));
  stored = resume_from_start(server, "full", next);
  ASSERT_EQ(stored.size(), static_cast<std::size_t>(next));
  for (int n = 1; n <= next; ++n) EXPECT_EQ(leading_number(stored[n - 1]), std::to_string(n));
}

} // namespace

// A full disk, made with the file size limit (RLIMIT_FSIZE, `ulimit -f`) of the server
// process: its writes past the limit fail as on a full disk (EFBIG rather than ENOSPC),
// for any user and in any container. Room returns when the limit is raised on the
// running process (prlimit), as when an operator frees space. Without SIGXFSZ ignored,
// the server died on the first write past the limit.
TEST(Faults, AFileSizeLimitRefusesPublishesClearlyAndRecoversWhenRaised) {
  TempDir dir;
  const std::string db = dir.file("events.db");
  ServerProcess server({"--db", db}, "127.0.0.1:0", "serve", 256 * 1024);
  fill_refuse_recover(server, db, "disk, file size limit", [&] { server.set_file_size_limit(RLIM_INFINITY); });
  EXPECT_EQ(server.stop(), 0);
}

// A disk that really fills up (ENOSPC): a 1.5 MiB tmpfs, mounted in a mount namespace of
// the test's own, a third of it taken by another file, which is deleted to make room.
// Skipped where the namespace or the mount is not allowed (it needs CAP_SYS_ADMIN).
TEST(Faults, AFullDiskRefusesPublishesClearlyAndRecoversWhenSpaceIsFreed) {
  TempDir dir; // outlives the namespace, so that it is an empty directory when removed
  PrivateMounts mounts;
  if (!mounts.entered()) GTEST_SKIP() << mounts.why_not();
  mounts.mount_tmpfs(dir.path(), 1536 * 1024);
  const std::string db = dir.file("events.db"), filler = dir.file("other-data");
  std::ofstream(filler) << std::string(512 * 1024, 'f');
  ServerProcess server({"--db", db});
  fill_refuse_recover(server, db, "disk", [&] { std::filesystem::remove(filler); });
  EXPECT_EQ(server.stop(), 0);
}

// A database that turns read-only under the running server. Root ignores file modes
// (chmod a-w changes nothing for it), and a read-only remount is refused while the
// server holds the file open for writing (EBUSY), so the file and its -wal file are
// made immutable (chattr +i): then every write fails, root's and those through open
// descriptors included. Needs CAP_LINUX_IMMUTABLE and a filesystem with the attribute
// (ext4, xfs, btrfs); skipped otherwise.
TEST(Faults, AReadOnlyDatabaseRefusesPublishesClearlyAndRecoversWhenWritable) {
  TempDir dir;
  const std::string db = dir.file("events.db");
  {
    std::ofstream(dir.file("probe")) << "x";
    ImmutableFiles probe({dir.file("probe")});
    if (!probe.error().empty()) GTEST_SKIP() << "cannot make a file immutable here: " << probe.error();
  }
  ServerProcess server({"--db", db});
  SseClient live(server.host(), server.port(), "/events/?channel=ro");
  ASSERT_EQ(live.next_event()->type, "stream-open");
  for (int n = 1; n <= 3; ++n) publish(server, "ro", "message", std::to_string(n));
  {
    // Both: SQLite commits into the -wal file and copies it into the database later.
    ImmutableFiles read_only({db, db + "-wal"});
    ASSERT_EQ(read_only.error(), "");
    auto refused = publish_body(server, R"({"channel": "ro", "data": 100})");
    ASSERT_EQ(refused.status, 503) << refused.body;
    EXPECT_NE(refused.body.find("database " + db + " is read-only; nothing was stored"), std::string::npos)
        << refused.body;
    EXPECT_NE(refused.body.find("writable again"), std::string::npos) << refused.body;
    EXPECT_EQ(publish_body(server, numbered_batch("ro", 101, 10)).status, 503);
    EXPECT_TRUE(log_shows(server, "publish failed: database " + db + " is read-only")) << server.stderr_text();
    // Reading still works meanwhile.
    auto stored = resume_from_start(server, "ro", 3);
    ASSERT_EQ(stored.size(), 3u);
    EXPECT_TRUE(server.running());
  }
  auto again = publish_body(server, R"({"channel": "ro", "data": 4})");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.body, "{\"ids\": [\"ro:4\"]}\n");
  // The live stream got the acknowledged events, and only those, in order.
  for (int n = 1; n <= 4; ++n) {
    auto e = live.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->id, "ro:" + std::to_string(n));
    EXPECT_EQ(e->data, std::to_string(n));
  }
  auto stored = resume_from_start(server, "ro", 4);
  ASSERT_EQ(stored.size(), 4u);
  for (int n = 1; n <= 4; ++n) EXPECT_EQ(stored[n - 1].data, std::to_string(n));
  EXPECT_EQ(server.stop(), 0);
}

// The GRIP proxy is only another way out: with it down, streams served here get every
// event and publishes succeed; the publisher retries each batch with backoff
// (grip_publisher.cpp), logs every failure, and delivers again once the proxy is back.
// Clients the proxy held are gone with it; they come back through it and resume from
// storage.
TEST(Faults, TheGripProxyDownCostsLocalStreamsNothingAndDeliveryResumesWhenItIsBack) {
  int port = free_port();
  PushpinProcess pushpin(port);
  ServerProcess server({"--grip-url", pushpin.control_url(), "--grip-sig-key", PushpinProcess::sig_key, "--secret",
                        "link-secret"},
                       "127.0.0.1:" + std::to_string(port));
  SseClient local(server.host(), server.port(), "/events/?channel=test");
  ASSERT_EQ(local.next_event()->type, "stream-open");
  auto proxied = pushpin.open_stream("/events/?channel=test");
  ASSERT_EQ(proxied->next_event()->type, "stream-open");
  publish(server, "test", "message", "1");
  ASSERT_EQ(local.next_event()->id, "test:1");
  auto first = proxied->next_event(10s);
  ASSERT_TRUE(first) << pushpin.log_text();
  EXPECT_EQ(first->id, "test:1");

  pushpin.stop();
  EXPECT_TRUE(proxied->connection_closed(10s));
  auto answer = publish_body(server, numbered_batch("test", 2, 10));
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find("\"test:11\""), std::string::npos) << answer.body;
  for (int n = 2; n <= 11; ++n) {
    auto e = local.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->id, "test:" + std::to_string(n));
    EXPECT_EQ(e->data, std::to_string(n));
  }
  EXPECT_TRUE(log_shows(server, "publishing 10 events to GRIP proxy failed (" + pushpin.control_url()))
      << server.stderr_text();
  EXPECT_TRUE(server.running());
  auto metrics = http_request(server.host(), server.port(), "GET", "/metrics").body;
  EXPECT_EQ(metrics.find("eventstream_grip_publish_failures_total 0\n"), std::string::npos) << metrics;

  pushpin.start();
  auto back = pushpin.open_stream("/events/?channel=test", {{"Last-Event-ID", "test:1"}});
  publish(server, "test", "message", "12");
  // The proxy may also get the retried batch; what it passes on is still each event once.
  auto events = back->events_until([](const SseEvent& e) { return e.data == "12"; }, 30s);
  std::erase_if(events, [](const SseEvent& e) { return e.type == "stream-open" || e.type == "keep-alive"; });
  ASSERT_EQ(events.size(), 11u) << back->body() << pushpin.log_text() << server.stderr_text();
  for (int n = 2; n <= 12; ++n) EXPECT_EQ(events[n - 2].id, "test:" + std::to_string(n));
  EXPECT_EQ(local.next_event()->id, "test:12");
}

// Redis going away under `--storage redis`: publishes are refused (tested in
// redis_test.cpp); here what an operator sees in the log, and that streams stay
// connected through the outage and get the next events on the same connection.
TEST(Faults, RedisDownIsLoggedAndStreamsStayConnected) {
  RedisProcess redis;
  ServerProcess server({"--storage", "redis", "--redis", redis.url()});
  SseClient stream(server.host(), server.port(), "/events/?channel=test");
  ASSERT_EQ(stream.next_event()->type, "stream-open");
  publish(server, "test", "message", "1");
  ASSERT_EQ(stream.next_event()->id, "test:1");

  redis.stop();
  EXPECT_TRUE(log_shows(server, "live delivery between instances is interrupted")) << server.stderr_text();
  auto refused = publish_body(server, R"({"channel": "test", "data": 2})");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_TRUE(log_shows(server, "publish failed: ")) << server.stderr_text();
  EXPECT_NE(server.stderr_text().find(redis.url()), std::string::npos) << server.stderr_text();
  EXPECT_FALSE(stream.connection_closed(1s));
  auto metrics = http_request(server.host(), server.port(), "GET", "/metrics").body;
  EXPECT_EQ(metrics.find("eventstream_redis_errors_total 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("eventstream_publish_failures_total 1\n"), std::string::npos) << metrics;

  redis.start();
  EXPECT_TRUE(log_shows(server, "receiving events of other instances through Redis at", 2, 30s))
      << server.stderr_text();
  publish(server, "test", "message", "3");
  auto e = stream.next_event(10s);
  ASSERT_TRUE(e) << server.stderr_text();
  EXPECT_EQ(e->id, "test:2"); // the refused event took no id
  EXPECT_EQ(e->data, "3");
  EXPECT_EQ(server.stop(), 0);
}

// Ten thousand streams whose clients never read (small receive windows, spread over
// four source addresses). By the design (subscriber.hpp, stream_session.cpp) each holds
// at most its queue plus one request in its mailbox and as much again in the write the
// client does not take, and is closed after --write-timeout; meanwhile a client that
// reads gets everything.
//
// In a network namespace of the test's own, whose kernel send buffers are capped at
// 16 KiB (as a busy server would set them): with the default autotuning each stalled
// socket would take up to 4 MiB of kernel memory first, which on ten thousand
// connections presses on the TCP of the whole machine and, before that, keeps the
// server's queues from ever filling. Skipped where namespaces cannot be made.
TEST(Faults, TenThousandReadersThatStopReadingCostBoundedMemoryAndAreDisconnected) {
  constexpr int stalled_count = 10000, queue = 16, per_request = 10, requests = 500;
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_max < stalled_count + 200) GTEST_SKIP() << "needs " << stalled_count + 200 << " open files";
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files); // the server inherits it
  PrivateNetwork network;
  if (!network.entered()) GTEST_SKIP() << network.why_not();
  network.set("ipv4/tcp_wmem", "4096 16384 16384");

  ServerProcess server({"--subscriber-queue", std::to_string(queue), "--write-timeout", "5", "--keep-alive", "1"});
  struct Sockets {
    std::vector<int> fds;
    ~Sockets() {
      for (int fd : fds) ::close(fd);
    }
  } stalled;
  const std::string request = "GET /events/?channel=flood HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int i = 0; i < stalled_count; ++i) {
    stalled.fds.push_back(connect_tcp(server.host(), server.port(), 4096, "127.0.0." + std::to_string(2 + i % 4)));
    send_all(stalled.fds.back(), request);
  }
  ASSERT_TRUE(log_shows(server, "stream open ", stalled_count, 60s));
  SseClient reader(server.host(), server.port(), "/events/?channel=flood");
  ASSERT_EQ(reader.next_event()->type, "stream-open");
  const long baseline = server.resident_kib();

  std::atomic<bool> sampling{true};
  std::atomic<long> peak{baseline};
  std::thread sampler([&] {
    try {
      while (sampling) {
        peak = std::max(peak.load(), server.resident_kib());
        std::this_thread::sleep_for(20ms);
      }
    } catch (const std::exception&) {
      // the server died: the checks below say so
    }
  });
  const std::string payload(200, 'y');
  for (int r = 0, n = 0; r < requests; ++r) {
    std::string body = R"({"items": [)";
    for (int i = 0; i < per_request; ++i)
      body += std::string(i ? ", " : "") + R"({"channel": "flood", "data": [)" + std::to_string(n + i) + R"(, ")" +
              payload + "\"]}";
    ASSERT_EQ(publish_body(server, body + "]}").status, 200);
    for (int i = 0; i < per_request; ++i, ++n) {
      auto e = reader.next_event();
      while (e && e->type == "keep-alive") e = reader.next_event();
      ASSERT_TRUE(e) << "event " << n;
      ASSERT_EQ(leading_number(*e), std::to_string(n));
    }
  }
  sampling = false;
  sampler.join();

  // What one stalled stream may hold, twice over: (queue + one request) events copied
  // into its write buffer (they are small) and pointers to as many again in its mailbox.
  // Were the mailboxes unbounded they would hold pointers to all 5,000 events each:
  // 10,000 x 5,000 x 16 bytes, 800 MB.
  const long event_bytes = static_cast<long>(payload.size()) + 64; // with framing and id line
  const long per_stream = 2 * (queue + per_request) * (event_bytes + 2 * 64);
  const long bound_kib = (stalled_count * per_stream) / 1024 + 64 * 1024;
  // Under the sanitizers the RSS measures them: ThreadSanitizer's shadow memory is several
  // times each allocation, and AddressSanitizer keeps what is freed (its quarantine, 256
  // MB), which idle streams' keep-alives fill: each gives its write buffer back once
  // written (WriteBatch::release). The bound holds for the real build.
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
  EXPECT_LE(peak - baseline, bound_kib) << "RSS went from " << baseline << " KiB to " << peak << " KiB";
#endif

  // Every stalled stream is closed by the write timeout, and its socket given back.
  EXPECT_TRUE(log_shows(server, "the client stopped reading (write timed out)", stalled_count, 60s));
  EXPECT_LT(server.open_files(), 100u);
  publish(server, "flood", "after", "1"); // the reader was left alone all along
  auto rest = reader.events_until([](const SseEvent& e) { return e.type != "keep-alive"; }, 10s);
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back().type, "after");
  EXPECT_EQ(server.stop(), 0);
  std::cout << "RSS " << baseline << " KiB with the streams open, at most " << peak << " KiB while publishing (bound "
            << baseline + bound_kib << " KiB)\n";
}
