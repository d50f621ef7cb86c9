#include "stream/routes.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

namespace es::stream {
namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    auto pos = text.find(sep);
    parts.push_back(text.substr(0, pos));
    if (pos == std::string_view::npos) return parts;
    text = text.substr(pos + 1);
  }
}

// Distinct non-empty names in the order first given, at most `limit` + 1 of them; one set
// lookup per name, so a query of tens of thousands costs no more than reading it.
class UniqueChannels {
public:
  explicit UniqueChannels(std::size_t limit) : limit_(limit) {}

  // False once there are more than `limit` channels: the rest need not be looked at.
  bool add(std::string channel) {
    if (!channel.empty() && seen_.insert(channel).second) channels_.push_back(std::move(channel));
    return channels_.size() <= limit_;
  }
  std::vector<std::string> take() { return std::move(channels_); }

private:
  std::size_t limit_;
  std::unordered_set<std::string> seen_;
  std::vector<std::string> channels_;
};

std::string expand(std::string_view templ, const RouteParams& params) {
  std::string out;
  while (!templ.empty()) {
    auto open = templ.find('{');
    out.append(templ.substr(0, open));
    if (open == std::string_view::npos) break;
    auto close = templ.find('}', open);
    std::string_view name = templ.substr(open + 1, close - open - 1);
    for (const auto& [captured, value] : params)
      if (captured == name) out.append(value);
    templ = templ.substr(close + 1);
  }
  return out;
}

} // namespace

Route Route::parse(std::string_view spec) {
  auto fail = [&](std::string_view why) {
    throw std::invalid_argument("route '" + std::string(spec) + "': " + std::string(why));
  };
  Route route;
  route.spec_ = std::string(spec);
  auto eq = spec.find('=');
  std::string_view path = spec.substr(0, eq);
  if (path.empty() || path.front() != '/') fail("the path must start with '/'");

  std::vector<std::string_view> names;
  for (auto part : split(path.substr(1), '/')) {
    Segment seg;
    if (part.find_first_of("{}") != std::string_view::npos) {
      if (part.size() < 3 || part.front() != '{' || part.back() != '}' ||
          part.substr(1, part.size() - 2).find_first_of("{}") != std::string_view::npos)
        fail("a placeholder must be a whole path segment, like /events/{channel}/");
      seg.placeholder = true;
      seg.text = std::string(part.substr(1, part.size() - 2));
      names.push_back(part.substr(1, part.size() - 2));
    } else {
      seg.text = std::string(part);
    }
    route.segments_.push_back(std::move(seg));
  }

  if (eq != std::string_view::npos) {
    for (auto templ : split(spec.substr(eq + 1), ',')) {
      if (templ.empty()) fail("empty channel name after '='");
      // Every {name} in a channel template must be captured by the path.
      for (std::string_view rest = templ; !rest.empty();) {
        auto open = rest.find('{');
        if (open == std::string_view::npos) {
          if (rest.find('}') != std::string_view::npos) fail("unbalanced '}' in a channel");
          break;
        }
        auto close = rest.find('}', open);
        if (close == std::string_view::npos) fail("unbalanced '{' in a channel");
        auto name = rest.substr(open + 1, close - open - 1);
        if (std::find(names.begin(), names.end(), name) == names.end())
          fail("channel uses {" + std::string(name) + "}, which the path does not capture");
        rest = rest.substr(close + 1);
      }
      route.channel_templates_.emplace_back(templ);
    }
  } else {
    for (auto name : names) {
      std::string templ(1, '{');
      templ.append(name).push_back('}');
      route.channel_templates_.push_back(std::move(templ));
    }
  }
  return route;
}

std::vector<std::string> unique_channels(std::vector<std::string> names, std::size_t limit) {
  UniqueChannels channels(limit);
  for (auto& name : names)
    if (!channels.add(std::move(name))) break;
  return channels.take();
}

std::optional<RouteParams> Route::params(std::string_view path) const {
  if (path.empty() || path.front() != '/') return std::nullopt;
  auto parts = split(path.substr(1), '/');
  if (parts.size() != segments_.size()) return std::nullopt;

  RouteParams params;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Segment& seg = segments_[i];
    if (seg.placeholder) {
      if (parts[i].empty()) return std::nullopt;
      params.emplace_back(seg.text, parts[i]);
    } else if (seg.text != parts[i]) {
      return std::nullopt;
    }
  }
  return params;
}

std::vector<std::string> Route::channels(const RouteParams& params, const QueryParams& query, std::size_t limit) const {
  UniqueChannels channels(limit);
  if (channel_templates_.empty()) {
    for (const auto& [key, value] : query)
      if (key == "channel" && !channels.add(value)) break;
  } else {
    for (const auto& templ : channel_templates_)
      if (!channels.add(expand(templ, params))) break;
  }
  return channels.take();
}

std::optional<std::vector<std::string>> Route::match(std::string_view path, const QueryParams& query,
                                                     std::size_t limit) const {
  auto captured = params(path);
  if (!captured) return std::nullopt;
  return channels(*captured, query, limit);
}

std::optional<RouteTable::Match> RouteTable::match(std::string_view path, const QueryParams& query) const {
  for (const auto& route : routes_)
    if (auto params = route.params(path)) {
      auto channels = route.channels(*params, query, channel_limit_);
      return Match{&route, std::move(channels), std::move(*params)};
    }
  return std::nullopt;
}

} // namespace es::stream
