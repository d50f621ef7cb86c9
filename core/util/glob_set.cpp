#include "util/glob_set.hpp"

#include <fnmatch.h>

namespace es {

bool GlobSet::matches(const std::string& name) const {
  for (const auto& pattern : patterns_)
    if (::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

} // namespace es
