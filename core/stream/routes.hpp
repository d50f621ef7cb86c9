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
#include <utility>
#include <vector>

#include "util/url.hpp"

namespace es::stream {

// The segments a route's {name} placeholders captured, by name, in path order.
using RouteParams = std::vector<std::pair<std::string, std::string>>;

// `names` as a route selects channels: duplicates collapse (first one wins the order),
// empty names are dropped, and collecting stops at `limit` + 1 channels: enough to tell
// the client it asked for too many, without spending time on the rest.
std::vector<std::string> unique_channels(std::vector<std::string> names, std::size_t limit);

class Route {
public:
  // Throws std::invalid_argument with a message naming the spec and what is wrong.
  static Route parse(std::string_view spec);

  const std::string& spec() const { return spec_; }
  // The spec's path, without its channels: "/rooms/{room}/events/".
  std::string_view path() const { return std::string_view(spec_).substr(0, spec_.find('=')); }

  // What `path` captures, or nullopt when the path is not this route's.
  std::optional<RouteParams> params(std::string_view path) const;

  // The channels a request with these captures and `query` asks for, as unique_channels
  // selects them.
  std::vector<std::string> channels(const RouteParams& params, const QueryParams& query, std::size_t limit) const;

  // Both at once: the channels a request for `path` asks for, or nullopt when the path
  // is not this route's.
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
    RouteParams params;
  };
  std::optional<Match> match(std::string_view path, const QueryParams& query) const;

  const std::vector<Route>& routes() const { return routes_; }

  // `names` (the application's choice, --channels-url) selected as a route selects them.
  std::vector<std::string> select(std::vector<std::string> names) const {
    return unique_channels(std::move(names), channel_limit_);
  }

private:
  std::vector<Route> routes_;
  std::size_t channel_limit_;
};

} // namespace es::stream
