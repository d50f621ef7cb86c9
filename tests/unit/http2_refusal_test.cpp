// The refusal of a TLS connection that negotiated h2 over --max-connections, as a client
// sees it on a real socket: the server's SETTINGS, a GOAWAY naming the limit, the end.
#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http2/http2_refusal.hpp"
#include "support/h2_client.hpp"

namespace net = boost::asio;
using namespace es;

TEST(Http2Refusal, SaysGoawayWithTheReasonAndCloses) {
  net::io_context io;
  net::ip::tcp::acceptor acceptor(io, {net::ip::address_v4::loopback(), 0});
  std::optional<test::h2::Goaway> goaway;
  bool closed = false;
  std::jthread client([&, port = acceptor.local_endpoint().port()] {
    test::h2::Client h2("127.0.0.1", port);
    closed = h2.wait_for_close(std::chrono::seconds(5));
    goaway = h2.goaway();
  });
  net::ip::tcp::socket socket(io);
  acceptor.accept(socket);
  http2::refuse_http2(http::Transport(std::move(socket)),
                      "this server holds its most connections (--max-connections 3)");
  io.run();
  client.join();
  EXPECT_TRUE(closed);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->error_code, test::h2::NO_ERROR);
  EXPECT_EQ(goaway->last_stream_id, 0);
  EXPECT_EQ(goaway->debug, "this server holds its most connections (--max-connections 3)");
}
