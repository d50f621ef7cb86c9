#include "mercure/topic_nfa.hpp"

#include <utility>

namespace es::mercure {

int TopicNfa::add(State state) {
  states_.push_back(state);
  return static_cast<int>(states_.size()) - 1;
}

void TopicNfa::connect(const std::vector<int>& exits, int target) {
  for (int exit : exits) {
    auto& state = states_[static_cast<std::size_t>(exit)];
    (state.kind == State::Kind::split && state.next >= 0 ? state.other : state.next) = target;
  }
}

TopicNfa::Fragment TopicNfa::one_of(const ByteClass& bytes) {
  classes_.push_back(bytes);
  int state = add({State::Kind::step, static_cast<int>(classes_.size()) - 1});
  return {state, {state}};
}

TopicNfa::Fragment TopicNfa::empty() {
  int state = add({State::Kind::jump});
  return {state, {state}};
}

TopicNfa::Fragment TopicNfa::literal(std::string_view text) {
  if (text.empty()) return empty();
  Fragment whole{-1, {}};
  for (unsigned char c : text) {
    ByteClass byte;
    byte.set(c);
    whole = whole.start < 0 ? one_of(byte) : sequence(std::move(whole), one_of(byte));
  }
  return whole;
}

TopicNfa::Fragment TopicNfa::sequence(Fragment first, Fragment second) {
  connect(first.exits, second.start);
  return {first.start, std::move(second.exits)};
}

TopicNfa::Fragment TopicNfa::either(Fragment first, Fragment second) {
  int split = add({State::Kind::split, -1, first.start, second.start});
  auto exits = std::move(first.exits);
  exits.insert(exits.end(), second.exits.begin(), second.exits.end());
  return {split, std::move(exits)};
}

TopicNfa::Fragment TopicNfa::optional(Fragment piece) {
  // The split's `other` exit stays open: connect() fills it since `next` is set.
  int split = add({State::Kind::split, -1, piece.start, -1});
  auto exits = std::move(piece.exits);
  exits.push_back(split);
  return {split, std::move(exits)};
}

TopicNfa::Fragment TopicNfa::star(Fragment piece) {
  int split = add({State::Kind::split, -1, piece.start, -1});
  connect(piece.exits, split);
  return {split, {split}};
}

TopicNfa::Fragment TopicNfa::plus(Fragment piece) {
  int split = add({State::Kind::split, -1, piece.start, -1});
  connect(piece.exits, split);
  return {piece.start, {split}};
}

void TopicNfa::finish(Fragment whole) {
  int accept = add({State::Kind::accept});
  connect(whole.exits, accept);
  start_ = whole.start;
}

bool TopicNfa::matches(std::string_view topic) const {
  if (start_ < 0) return false;
  // Two state lists and a per-state stamp of the step that last added it: each state is
  // entered at most once per input byte.
  std::vector<int> current, next, pending;
  std::vector<std::size_t> added(states_.size(), static_cast<std::size_t>(-1));
  auto enter = [&](std::vector<int>& into, int first, std::size_t stamp) {
    pending.push_back(first);
    while (!pending.empty()) {
      int index = pending.back();
      pending.pop_back();
      if (index < 0) continue;
      auto slot = static_cast<std::size_t>(index);
      if (added[slot] == stamp) continue;
      added[slot] = stamp;
      const auto& state = states_[slot];
      if (state.kind == State::Kind::split) {
        pending.push_back(state.other);
        pending.push_back(state.next);
      } else if (state.kind == State::Kind::jump) {
        pending.push_back(state.next);
      } else {
        into.push_back(index);
      }
    }
  };
  enter(current, start_, 0);
  for (std::size_t at = 0; at < topic.size() && !current.empty(); ++at) {
    next.clear();
    auto byte = static_cast<unsigned char>(topic[at]);
    for (int index : current) {
      const auto& state = states_[static_cast<std::size_t>(index)];
      if (state.kind == State::Kind::step && classes_[static_cast<std::size_t>(state.bytes)].test(byte))
        enter(next, state.next, at + 1);
    }
    std::swap(current, next);
  }
  for (int index : current)
    if (states_[static_cast<std::size_t>(index)].kind == State::Kind::accept) return true;
  return false;
}

} // namespace es::mercure
