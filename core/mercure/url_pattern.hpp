#pragma once
// WHATWG URL Pattern selectors (Mercure 1.0 draft's match_urlpattern), the subset topics
// need: per-component patterns with ":name" groups, "*" wildcards, "{...}" groups, the
// ? * + modifiers and "\" escapes. Regular-expression groups "(...)" are refused: they
// would bring backtracking regexes in from the network.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mercure/topic_nfa.hpp"

namespace es::mercure {

class CompiledUrlPattern {
public:
  // `base_url` resolves a relative pattern (and relative topics); may be empty. Throws
  // SelectorError saying what is malformed.
  CompiledUrlPattern(std::string_view pattern, std::string_view base_url);
  bool matches(std::string_view topic) const;

private:
  std::string base_url_;
  bool absolute_ = false;
  // protocol, hostname, port, pathname, search, hash; null when the pattern leaves the
  // component unsaid and it matches anything.
  std::unique_ptr<TopicNfa> components_[6];
};

} // namespace es::mercure
