#pragma once
// Stream routes: `PATH[=CHANNEL[,CHANNEL...]]` (docs/protocol.md §1). PATH segments written
// `{name}` match one non-empty path segment; channel templates may use the same names.
// A route with neither `=` nor placeholders lets the client pick channels with
// `channel` query parameters; one with placeholders but no `=` streams the captured
// segments themselves (`/events/{channel}/`).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/url.hpp"

namespace es::stream {

class Route {
public:
  // Throws std::invalid_argument with a message naming the spec and what is wrong.
  static Route parse(std::string_view spec);

  const std::string& spec() const { return spec_; }

  // The channels a request for `path` asks for, or nullopt when the path is not this
  // route's. Duplicates collapse (first one wins the order); empty names are dropped.
  // Collecting stops at `limit` + 1 channels: enough to tell the client it asked for too
  // many, without spending time on the rest of a huge query.
  std::optional<std::vector<std::string>> match(std::string_view path, const QueryParams& query,
                                                std::size_t limit) const;

private:
  struct Segment {
    std::string text;
    bool placeholder = false;
  };
  std::string spec_;
  std::vector<Segment> segments_;
  std::vector<std::string> channel_templates_; // empty: channels come from the query or captures
};

class RouteTable {
public:
  // `channel_limit`: the most channels one stream may ask for (--channel-limit).
  RouteTable(std::vector<Route> routes, std::size_t channel_limit)
      : routes_(std::move(routes)), channel_limit_(channel_limit) {}

  struct Match {
    const Route* route;
    std::vector<std::string> channels; // more than channel_limit: the request asks for too many
  };
  std::optional<Match> match(std::string_view path, const QueryParams& query) const;

  const std::vector<Route>& routes() const { return routes_; }

private:
  std::vector<Route> routes_;
  std::size_t channel_limit_;
};

} // namespace es::stream
