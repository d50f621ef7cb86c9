#include "mercure/selector.hpp"

#include <optional>

#include "mercure/uri_template.hpp"
#include "mercure/url_pattern.hpp"

namespace es::mercure {

struct Selector::Compiled {
  Kind kind;
  std::string text;
  std::optional<CompiledTemplate> uri_template;
  std::optional<CompiledUrlPattern> url_pattern;
};

namespace {

void check_length(std::string_view value) {
  if (value.size() > Selector::max_length)
    throw SelectorError("a topic selector is longer than " + std::to_string(Selector::max_length) + " bytes");
}

} // namespace

Selector Selector::topic_selector(std::string_view value) {
  check_length(value);
  if (value == "*") return exact(value);
  auto compiled = compile_uri_template(value, max_expressions);
  if (!compiled) return exact(value);
  return Selector(std::make_shared<const Compiled>(Compiled{Kind::uri_template, std::string(value), std::move(compiled), {}}));
}

Selector Selector::exact(std::string_view value) {
  check_length(value);
  return Selector(std::make_shared<const Compiled>(Compiled{value == "*" ? Kind::any : Kind::exact, std::string(value), {}, {}}));
}

Selector Selector::url_pattern(std::string_view pattern, std::string_view base_url) {
  check_length(pattern);
  if (pattern == "*") return exact(pattern);
  return Selector(std::make_shared<const Compiled>(
      Compiled{Kind::url_pattern, std::string(pattern), {}, CompiledUrlPattern(pattern, base_url)}));
}

Selector::Kind Selector::kind() const { return compiled_->kind; }

const std::string& Selector::text() const { return compiled_->text; }

bool Selector::matches(std::string_view topic) const {
  const auto& c = *compiled_;
  if (c.kind == Kind::any || topic == c.text) return true;
  if (c.uri_template) return c.uri_template->nfa.matches(topic);
  if (c.url_pattern) return c.url_pattern->matches(topic);
  return false;
}

std::string_view Selector::literal_prefix() const {
  const auto& c = *compiled_;
  if (c.kind == Kind::exact) return c.text;
  if (c.uri_template) return c.uri_template->literal_prefix;
  return {};
}

} // namespace es::mercure
