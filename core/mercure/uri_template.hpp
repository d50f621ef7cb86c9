#pragma once
// RFC 6570 URI templates (levels 1 to 4) read as topic selectors, the Mercure 0.x way:
// "https://example.com/books/{id}" selects every topic its expansion could produce.
#include <optional>
#include <string>
#include <string_view>

#include "mercure/topic_nfa.hpp"

namespace es::mercure {

struct CompiledTemplate {
  TopicNfa nfa;
  std::string literal_prefix; // the text before the first expression
};

// nullopt when `text` holds no expression or is not a valid template (the selector is then
// an exact topic, as the protocol says). Throws SelectorError past `max_expressions`.
std::optional<CompiledTemplate> compile_uri_template(std::string_view text, std::size_t max_expressions);

} // namespace es::mercure
