#pragma once
#include <string>
#include <utility>
#include <vector>

namespace es::http {

// Header fields in the order they are sent: name, value.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

} // namespace es::http
