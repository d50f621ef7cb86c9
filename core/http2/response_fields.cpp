#include "http2/response_fields.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <boost/beast/core/string.hpp>

namespace es::http2 {

namespace {

bool connection_specific(std::string_view name) {
  constexpr std::array<std::string_view, 5> names{"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                                  "upgrade"};
  return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return boost::beast::iequals(n, name); });
}

} // namespace

ResponseFields::ResponseFields(unsigned status) {
  strings_.push_back(":status");
  strings_.push_back(std::to_string(status));
}

void ResponseFields::add(std::string_view name, std::string_view value) {
  if (connection_specific(name)) return;
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  strings_.push_back(std::move(lower));
  strings_.emplace_back(value);
}

const std::vector<nghttp2_nv>& ResponseFields::nv() {
  nv_.clear();
  for (std::size_t i = 0; i + 1 < strings_.size(); i += 2) {
    auto& name = strings_[i];
    auto& value = strings_[i + 1];
    nv_.push_back({reinterpret_cast<std::uint8_t*>(name.data()), reinterpret_cast<std::uint8_t*>(value.data()),
                   name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nv_;
}

} // namespace es::http2
