#pragma once
// The matcher behind URI-template and URL-pattern selectors: a Thompson NFA over bytes,
// simulated state-set by state-set, so matching costs at most (topic length x states)
// steps whatever the pattern. A backtracking regex (std::regex) can take exponential time
// on a hostile pattern or topic, and both reach us from the network (a subscriber's query,
// a token's claim, a publisher's topics).
#include <bitset>
#include <cstddef>
#include <string_view>
#include <vector>

namespace es::mercure {

using ByteClass = std::bitset<256>;

class TopicNfa {
public:
  // A piece under construction: its first state and the exits still to be connected.
  struct Fragment {
    int start;
    std::vector<int> exits;
  };

  Fragment literal(std::string_view text);
  Fragment one_of(const ByteClass& bytes);
  Fragment empty();
  Fragment sequence(Fragment first, Fragment second);
  Fragment either(Fragment first, Fragment second);
  Fragment optional(Fragment piece);
  Fragment star(Fragment piece);
  Fragment plus(Fragment piece);
  // Ends construction: `whole` must match the entire topic.
  void finish(Fragment whole);

  std::size_t size() const { return states_.size(); }
  bool matches(std::string_view topic) const;

private:
  struct State {
    enum class Kind { step, split, jump, accept } kind;
    int bytes = -1;            // index in classes_ (step)
    int next = -1, other = -1; // successors (split uses both)
  };
  int add(State state);
  void connect(const std::vector<int>& exits, int target);

  std::vector<State> states_;
  std::vector<ByteClass> classes_;
  int start_ = -1;
};

} // namespace es::mercure
