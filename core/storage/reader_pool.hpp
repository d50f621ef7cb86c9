#pragma once
// Blocking reads off the I/O threads (the shape of Redis's bio.c). An I/O thread runs
// every stream of its shard: one storage read there (a page of replay, a placement, the
// /readyz probe, a kick's Redis PUBLISH) stalls all of them for as long as the disk or
// Redis takes, up to the Redis timeout when Redis is stopped. So these run here, on a
// few threads with one job queue, and post their result back to the thread that asked.
//
// The queue is bounded by who uses it: a connection has at most one job queued at a
// time (a stream its next read, an HTTP session the answer it is waiting for), so it
// holds at most one job per open connection.
//
// Results of stream reads (`read`) are not posted one by one: they go into a queue per
// I/O thread, applied in turns of a bounded number of events, each turn re-posting
// itself behind whatever was queued meanwhile. So a thread busy with replay still runs
// its live deliveries between slices of it, and replay still proceeds between them.
// Stream reads in flight (read, or waiting to be applied) are bounded too; the rest
// wait their turn, in order: the readers read no further ahead than the I/O threads
// write, and leave them the cores.
//
// The pool must outlive the I/O threads' work (stop() after they are joined): a job
// posts to their executors, and a stream's job holds its stream (so that a connection
// whose client left still counts until its job is done), which what stop() drops
// destroys once no I/O thread runs.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

namespace es::storage {

class ReaderPool {
public:
  // One turn queue for each of `executors` (the I/O threads).
  ReaderPool(unsigned threads, std::vector<boost::asio::any_io_executor> executors);
  ~ReaderPool();

  // Runs `job` on a reader thread; the job posts its own answer.
  void run(std::function<void()> job);

  // What a read gives back to its I/O thread: run there in a turn, it returns the number
  // of events it wrote (the turn's cost).
  using Apply = std::function<std::size_t()>;
  // Runs `read` (a page) on a reader thread, then what it returns on `executor` (one of
  // those given at construction), in a turn.
  void read(const boost::asio::any_io_executor& executor, std::function<Apply()> read);
  // The same for a placement: a few ranges, not a page, so not held back by the bound on
  // pages in flight (a reconnecting crowd is placed at once).
  void place(const boost::asio::any_io_executor& executor, std::function<Apply()> read);

  // Runs what is being run, drops what is queued (the I/O threads are gone), joins.
  void stop();

private:
  struct Turns {
    boost::asio::any_io_executor executor;
    std::mutex mutex;
    struct Ready {
      Apply apply;
      bool page; // counted in the pages in flight
    };
    std::deque<Ready> ready;
    bool posted = false;
  };
  void work();
  void deliver(Turns& turns, Apply apply, bool page);
  void take_turn(Turns& turns);
  Turns& turns_of(const boost::asio::any_io_executor& executor);
  void read_done();

  std::vector<std::unique_ptr<Turns>> turns_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::deque<std::function<void()>> reads_waiting_;
  std::size_t reads_in_flight_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace es::storage
