#include "util/glob_set.hpp"

#include <fnmatch.h>

namespace es {

bool GlobSet::matches(std::string_view name) const {
  std::string text(name);
  for (const auto& pattern : patterns_)
    if (::fnmatch(pattern.c_str(), text.c_str(), 0) == 0) return true;
  return false;
}

} // namespace es
