#pragma once
// Stream routes: `PATH[=CHANNEL[,CHANNEL...]]` (SPEC §3). PATH segments written
// `{name}` match one non-empty path segment; channel templates may use the same names.
// A route with neither `=` nor placeholders lets the client pick channels with
// `channel` query parameters; one with placeholders but no `=` streams the captured
// segments themselves (`/events/{channel}/`).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/url.hpp"

namespace es::http {

class Route {
public:
  // Throws std::invalid_argument with a message naming the spec and what is wrong.
  static Route parse(std::string_view spec);

  const std::string& spec() const { return spec_; }

  // The channels a request for `path` asks for, or nullopt when the path is not this
  // route's. Duplicates collapse (first one wins the order); empty names are dropped.
  std::optional<std::vector<std::string>> match(std::string_view path, const QueryParams& query) const;

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
  explicit RouteTable(std::vector<Route> routes) : routes_(std::move(routes)) {}

  struct Match {
    const Route* route;
    std::vector<std::string> channels;
  };
  std::optional<Match> match(std::string_view path, const QueryParams& query) const;

  const std::vector<Route>& routes() const { return routes_; }

private:
  std::vector<Route> routes_;
};

} // namespace es::http
