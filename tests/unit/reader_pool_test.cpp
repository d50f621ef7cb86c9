// The reader pool runs reads on its own threads and applies their results on the I/O
// thread in turns, with that thread's other work (live deliveries) between turns.
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "storage/reader_pool.hpp"

using es::storage::ReaderPool;
namespace net = boost::asio;

TEST(ReaderPool, WorkQueuedDuringATurnRunsBeforeTheNextTurn) {
  net::io_context io;
  ReaderPool pool(1, {io.get_executor()}); // one reader: the reads finish in order
  std::vector<std::string> order;
  for (int page = 0; page < 4; ++page)
    pool.read(io.get_executor(), [&, page] {
      return ReaderPool::Apply([&, page] {
        order.push_back("page " + std::to_string(page));
        if (page == 0) net::post(io, [&] { order.push_back("live"); });
        return std::size_t{200}; // two pages spend a turn
      });
    });
  std::promise<void> read;
  pool.run([&] { read.set_value(); }); // after the four reads
  read.get_future().wait();
  io.run();
  EXPECT_EQ(order, (std::vector<std::string>{"page 0", "page 1", "live", "page 2", "page 3"}));
}

TEST(ReaderPool, AStoppedPoolRunsNothingMore) {
  net::io_context io;
  ReaderPool pool(2, {io.get_executor()});
  pool.stop();
  bool ran = false;
  pool.run([&] { ran = true; });
  pool.read(io.get_executor(), [&] {
    ran = true;
    return ReaderPool::Apply([] { return std::size_t{0}; });
  });
  io.run();
  EXPECT_FALSE(ran);
}
