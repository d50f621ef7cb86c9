#pragma once
// Channel selection by shell-style patterns (`*`, `?`, `[...]`), as in `--reliable '*'`
// or `--private '_*'`.
#include <string>
#include <string_view>
#include <vector>

namespace es {

class GlobSet {
public:
  explicit GlobSet(std::vector<std::string> patterns) : patterns_(std::move(patterns)) {}
  bool matches(const std::string& name) const; // fnmatch needs the terminating NUL
  bool matches(std::string_view name) const { return matches(std::string(name)); }
  bool empty() const { return patterns_.empty(); }

private:
  std::vector<std::string> patterns_;
};

} // namespace es
