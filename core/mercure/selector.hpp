#pragma once
// A topic selector: a subscriber's topic= / match= / match_urlpattern= value, or a topic
// listed in a token's grant. Compiled once; copies share the compiled form.
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace es::mercure {

class SelectorError : public std::runtime_error {
public:
  using runtime_error::runtime_error;
};

class Selector {
public:
  enum class Kind { any, exact, uri_template, url_pattern };

  // Bounds on what one selector may cost to compile and to match.
  static constexpr std::size_t max_length = 4096;
  static constexpr std::size_t max_expressions = 64;

  // The 0.x `topic=` rule: "*" is any; a value holding a valid RFC 6570 expression is a URI
  // template; anything else (an invalid template too) is an exact topic. Throws
  // SelectorError only past the limits.
  static Selector topic_selector(std::string_view value);
  // 1.0 `match=` (match_type "exact"): byte comparison; "*" is still any.
  static Selector exact(std::string_view value);
  // 1.0 `match_urlpattern=` (match_type "urlpattern"). `base_url`, the hub's public URL
  // (may be empty), resolves relative patterns and topics. Throws SelectorError saying what
  // is malformed or unsupported.
  static Selector url_pattern(std::string_view pattern, std::string_view base_url);

  Kind kind() const;
  const std::string& text() const;
  // A topic byte-equal to text() always matches, whatever the kind (as the reference hub).
  bool matches(std::string_view topic) const;
  // Text every matching topic other than text() itself starts with: lets the hub test an
  // update against plausible selectors only. Empty for any and URL patterns.
  std::string_view literal_prefix() const;

private:
  struct Compiled;
  explicit Selector(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
  std::shared_ptr<const Compiled> compiled_;
};

} // namespace es::mercure
