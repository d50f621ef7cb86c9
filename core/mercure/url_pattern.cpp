#include "mercure/url_pattern.hpp"

#include <array>
#include <cctype>
#include <vector>

#include "mercure/selector.hpp"

namespace es::mercure {
namespace {

enum Component { protocol, hostname, port, pathname, search, hash, component_count };

using Parts = std::array<std::optional<std::string>, component_count>;

std::string lowered(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_scheme(std::string_view text) {
  auto colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(text[0]))) return false;
  for (char c : text.substr(0, colon))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  return true;
}

std::string_view default_port(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return "80";
  if (scheme == "https" || scheme == "wss") return "443";
  return {};
}

// A relative reference resolved against `base` the simple way topics need: "/x" replaces
// the base's path, "x" its last segment.
std::string resolved(std::string_view text, std::string_view base) {
  if (base.empty() || has_scheme(text) || !has_scheme(base)) return std::string(text);
  auto path = base.find('/', base.find("://") + 3);
  auto origin = base.substr(0, path);
  if (!text.empty() && text.front() == '/') return std::string(origin) + std::string(text);
  if (path == std::string_view::npos) return std::string(origin) + "/" + std::string(text);
  auto directory = base.substr(0, base.find_last_of('/', base.find_first_of("?#", path)) + 1);
  return std::string(directory) + std::string(text);
}

// A topic's components, as a URL parser normalizes them: lower-case scheme and host, the
// scheme's default port dropped, an empty path of a hierarchical URL read as "/".
Parts topic_parts(std::string_view url) {
  Parts parts;
  std::string_view rest = url;
  if (has_scheme(url)) {
    auto colon = url.find("://");
    parts[protocol] = lowered(url.substr(0, colon));
    rest = url.substr(colon + 3);
    auto end = rest.find_first_of("/?#");
    auto authority = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    std::string_view port_text;
    auto colon_at = authority.rfind(':');
    if (colon_at != std::string_view::npos && authority.find(']', colon_at) == std::string_view::npos) {
      port_text = authority.substr(colon_at + 1);
      authority = authority.substr(0, colon_at);
    }
    parts[hostname] = lowered(authority);
    parts[port] = port_text == default_port(*parts[protocol]) ? std::string() : std::string(port_text);
  }
  auto query = rest.find_first_of("?#");
  parts[pathname] = std::string(rest.substr(0, query));
  if (parts[protocol] && parts[pathname]->empty()) parts[pathname] = "/";
  parts[search] = "";
  parts[hash] = "";
  if (query != std::string_view::npos) {
    rest = rest.substr(query);
    auto fragment = rest.find('#');
    if (rest.front() == '?') parts[search] = std::string(rest.substr(1, fragment == std::string_view::npos ? fragment : fragment - 1));
    if (fragment != std::string_view::npos) parts[hash] = std::string(rest.substr(fragment + 1));
  }
  return parts;
}

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }
bool name_byte(char c) { return name_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

// Splits a pattern at the component boundaries, skipping escapes and "{...}" groups; a "?"
// right after a group, a name or "*" is a modifier, not the start of the search.
class Splitter {
public:
  explicit Splitter(std::string_view pattern) : text_(pattern) {}

  // The position of the first of `stops` at depth 0 from `from`, or npos.
  std::size_t find(std::size_t from, std::string_view stops) const {
    int depth = 0;
    for (std::size_t at = from; at < text_.size(); ++at) {
      char c = text_[at];
      if (c == '\\') {
        ++at;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}') {
        --depth;
      } else if (c == '(') {
        throw SelectorError("the URL pattern holds a regular-expression group \"(...)\", which is not supported; use :name, * or {...}");
      } else if (depth == 0 && stops.find(c) != std::string_view::npos && !(c == '?' && modifies(at))) {
        return at;
      }
    }
    return std::string_view::npos;
  }

private:
  bool modifies(std::size_t at) const {
    if (at == 0) return false;
    char before = text_[at - 1];
    if (before == '}' || before == '*') return true;
    std::size_t start = at;
    while (start > 0 && name_byte(text_[start - 1])) --start;
    return start < at && start > 0 && text_[start - 1] == ':' && name_start(text_[start]);
  }
  std::string_view text_;
};

Parts pattern_parts(std::string_view pattern) {
  Parts parts;
  Splitter splitter(pattern);
  std::size_t at = 0;
  if (has_scheme(pattern)) {
    auto colon = pattern.find("://");
    parts[protocol] = lowered(pattern.substr(0, colon));
    at = colon + 3;
    auto end = splitter.find(at, "/?#");
    auto authority = pattern.substr(at, end == std::string_view::npos ? end : end - at);
    // A port is a last ":" followed by digits or "*"; any other ":" starts a name.
    auto colon_at = authority.rfind(':');
    if (colon_at != std::string_view::npos) {
      auto tail = authority.substr(colon_at + 1);
      bool digits = !tail.empty();
      for (char c : tail) digits = digits && std::isdigit(static_cast<unsigned char>(c));
      if (digits || tail == "*") {
        parts[port] = std::string(tail) == default_port(*parts[protocol]) ? std::string() : std::string(tail);
        authority = authority.substr(0, colon_at);
      }
    }
    if (!parts[port]) parts[port] = "";
    parts[hostname] = lowered(authority);
    if (end == std::string_view::npos) return parts;
    at = end;
  }
  auto query = splitter.find(at, "?#");
  parts[pathname] = std::string(pattern.substr(at, query == std::string_view::npos ? query : query - at));
  if (query == std::string_view::npos) return parts;
  if (pattern[query] == '?') {
    auto fragment = splitter.find(query + 1, "#");
    parts[search] = std::string(pattern.substr(query + 1, fragment == std::string_view::npos ? fragment : fragment - query - 1));
    if (fragment == std::string_view::npos) return parts;
    query = fragment;
  }
  parts[hash] = std::string(pattern.substr(query + 1));
  return parts;
}

// One component's pattern compiled: literals, ":name" (one or more bytes other than the
// component's segment delimiter), "*" (any bytes), "{...}" groups, each optionally followed
// by a modifier. In the pathname a "/" right before a modified name or wildcard belongs to
// it, as the standard's implicit prefix: "/books/:id?" matches "/books".
class ComponentCompiler {
public:
  ComponentCompiler(TopicNfa& nfa, std::string_view text, Component component)
      : nfa_(nfa), text_(text), component_(component) {
    segment_.set();
    if (component == pathname) segment_.reset('/');
    if (component == hostname) segment_.reset('.');
  }

  TopicNfa::Fragment compile() {
    auto whole = sequence('\0');
    if (at_ != text_.size()) throw SelectorError("the URL pattern has an unmatched \"}\"");
    return whole;
  }

private:
  TopicNfa::Fragment sequence(char closer) {
    auto whole = nfa_.empty();
    std::string pending; // literal bytes not yet added, so a trailing "/" can be taken back
    auto flush = [&] {
      whole = nfa_.sequence(std::move(whole), nfa_.literal(pending));
      pending.clear();
    };
    while (at_ < text_.size() && text_[at_] != closer) {
      char c = text_[at_];
      if (c == '\\') {
        if (++at_ == text_.size()) throw SelectorError("the URL pattern ends with a lone \"\\\"");
        pending += component_ == hostname ? static_cast<char>(std::tolower(static_cast<unsigned char>(text_[at_]))) : text_[at_];
        ++at_;
        continue;
      }
      if (c == '}') throw SelectorError("the URL pattern has an unmatched \"}\"");
      std::optional<TopicNfa::Fragment> token;
      bool takes_prefix = false;
      if (c == ':' && at_ + 1 < text_.size() && name_start(text_[at_ + 1])) {
        ++at_;
        while (at_ < text_.size() && name_byte(text_[at_])) ++at_;
        token = nfa_.plus(nfa_.one_of(segment_));
        takes_prefix = true;
      } else if (c == '*') {
        ++at_;
        ByteClass anything;
        anything.set();
        token = nfa_.star(nfa_.one_of(anything));
        takes_prefix = true;
      } else if (c == '{') {
        if (closer != '\0') throw SelectorError("the URL pattern nests \"{...}\" groups, which it may not");
        ++at_;
        token = sequence('}');
        if (at_ == text_.size()) throw SelectorError("the URL pattern has a \"{\" without its \"}\"");
        ++at_;
      } else {
        pending += component_ == hostname ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
        ++at_;
        continue;
      }
      char modifier = at_ < text_.size() && std::string_view("?*+").find(text_[at_]) != std::string_view::npos ? text_[at_] : '\0';
      if (modifier != '\0') ++at_;
      if (modifier != '\0' && takes_prefix && component_ == pathname && !pending.empty() && pending.back() == '/') {
        pending.pop_back();
        token = nfa_.sequence(nfa_.literal("/"), std::move(*token));
      }
      flush();
      if (modifier == '?') token = nfa_.optional(std::move(*token));
      if (modifier == '*') token = nfa_.star(std::move(*token));
      if (modifier == '+') token = nfa_.plus(std::move(*token));
      whole = nfa_.sequence(std::move(whole), std::move(*token));
    }
    flush();
    return whole;
  }

  TopicNfa& nfa_;
  std::string_view text_;
  Component component_;
  ByteClass segment_;
  std::size_t at_ = 0;
};

} // namespace

CompiledUrlPattern::CompiledUrlPattern(std::string_view pattern, std::string_view base_url)
    : base_url_(base_url) {
  auto full = resolved(pattern, base_url);
  absolute_ = has_scheme(full);
  auto parts = pattern_parts(full);
  for (int i = 0; i < component_count; ++i) {
    if (!parts[static_cast<std::size_t>(i)]) continue;
    components_[i] = std::make_unique<TopicNfa>();
    auto& nfa = *components_[i];
    nfa.finish(ComponentCompiler(nfa, *parts[static_cast<std::size_t>(i)], static_cast<Component>(i)).compile());
  }
}

bool CompiledUrlPattern::matches(std::string_view topic) const {
  auto parts = topic_parts(resolved(topic, base_url_));
  if (absolute_ != parts[protocol].has_value()) return false;
  for (int i = 0; i < component_count; ++i) {
    const auto& part = parts[static_cast<std::size_t>(i)];
    if (components_[i] && !(part && components_[i]->matches(*part))) return false;
  }
  return true;
}

} // namespace es::mercure
