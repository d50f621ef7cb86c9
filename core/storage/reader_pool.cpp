#include "storage/reader_pool.hpp"

#include <algorithm>
#include <atomic>
#include <string>
#include <utility>

#include <boost/asio/post.hpp>

#include "util/log.hpp"

namespace es::storage {
namespace {

// Events a turn writes before it lets the thread's other work run: about two pages of
// replay, a fraction of a millisecond.
constexpr std::size_t turn_events = 256;
// Stream reads in flight: enough to keep the I/O threads busy while pages are read.
constexpr std::size_t reads_in_flight = 16;

} // namespace

ReaderPool::ReaderPool(unsigned threads, std::vector<boost::asio::any_io_executor> executors) {
  for (auto& executor : executors) {
    turns_.push_back(std::make_unique<Turns>());
    turns_.back()->executor = std::move(executor);
  }
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { work(); });
}

ReaderPool::~ReaderPool() { stop(); }

void ReaderPool::run(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

ReaderPool::Turns& ReaderPool::turns_of(const boost::asio::any_io_executor& executor) {
  auto it = std::find_if(turns_.begin(), turns_.end(), [&](const auto& t) { return t->executor == executor; });
  return **it; // the caller's thread is one of the pool's
}

void ReaderPool::place(const boost::asio::any_io_executor& executor, std::function<Apply()> read) {
  run([this, &turns = turns_of(executor), read = std::move(read)] { deliver(turns, read(), false); });
}

void ReaderPool::read(const boost::asio::any_io_executor& executor, std::function<Apply()> read) {
  Turns& turns = turns_of(executor);
  auto job = [this, &turns, read = std::move(read)] {
    try {
      deliver(turns, read(), true);
    } catch (...) {
      read_done(); // not to be applied: the next may start
      throw;
    }
  };
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (reads_in_flight_ == reads_in_flight) return reads_waiting_.push_back(std::move(job));
    ++reads_in_flight_;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

// A stream read was applied: the next one waiting may start.
void ReaderPool::read_done() {
  {
    std::lock_guard lock(mutex_);
    if (reads_waiting_.empty()) {
      --reads_in_flight_;
      return;
    }
    jobs_.push_back(std::move(reads_waiting_.front()));
    reads_waiting_.pop_front();
  }
  wake_.notify_one();
}

void ReaderPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
  std::lock_guard lock(mutex_);
  jobs_.clear();
  reads_waiting_.clear();
}

void ReaderPool::work() {
  static std::atomic<std::int64_t> last_logged{0};
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    // Jobs answer their own errors; this is the last barrier, as on the I/O threads.
    try {
      job();
    } catch (const std::exception& e) {
      log_once_a_minute(last_logged, LogLevel::error, std::string("a storage read failed: ") + e.what());
    }
  }
}

void ReaderPool::deliver(Turns& turns, Apply apply, bool page) {
  {
    std::lock_guard lock(turns.mutex);
    turns.ready.push_back({std::move(apply), page});
    if (std::exchange(turns.posted, true)) return;
  }
  boost::asio::post(turns.executor, [this, &turns] { take_turn(turns); });
}

// On the I/O thread: results until the turn's events are spent, then the rest behind
// whatever else that thread has queued.
void ReaderPool::take_turn(Turns& turns) {
  std::size_t spent = 0;
  while (spent < turn_events) {
    Turns::Ready ready;
    {
      std::lock_guard lock(turns.mutex);
      if (turns.ready.empty()) {
        turns.posted = false;
        return;
      }
      ready = std::move(turns.ready.front());
      turns.ready.pop_front();
    }
    try {
      spent += ready.apply() + 1;
    } catch (const std::exception& e) {
      static std::atomic<std::int64_t> last_logged{0};
      log_once_a_minute(last_logged, LogLevel::error, std::string("applying a storage read failed: ") + e.what());
    }
    if (ready.page) read_done();
  }
  boost::asio::post(turns.executor, [this, &turns] { take_turn(turns); });
}

} // namespace es::storage
