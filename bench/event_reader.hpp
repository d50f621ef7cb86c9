// One subscriber's stream body, whatever carried it (HTTP/1.1 chunks or HTTP/2 DATA):
// its `data:` lines are parsed and every event is checked (order per publisher) and
// timed from the CLOCK_MONOTONIC timestamp its payload carries.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

struct Lane;

class EventReader {
public:
  EventReader(Lane& lane, bool replaying) : lane_(lane), replaying_(replaying) {}

  // The server answered 200: the subscriber counts as connected.
  void mark_ready();
  // Body bytes, in any pieces.
  void feed(std::string_view body);

  Lane& lane() const { return lane_; }
  bool ready() const { return ready_; }
  std::uint64_t received() const { return received_; }

private:
  void on_line(std::string_view line);

  Lane& lane_;
  bool replaying_;
  bool ready_ = false;
  std::uint64_t received_ = 0;
  std::string partial_; // a line not ended yet
  std::string data_;
  std::vector<std::int64_t> expected_; // next seq per publisher
};

} // namespace loadgen
