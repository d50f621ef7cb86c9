#include "mercure/uri_template.hpp"

#include <cctype>
#include <vector>

#include "mercure/selector.hpp"

// Matching a template means accepting any string some assignment of its variables expands
// to. Each expression becomes: nothing (every variable undefined), or its operator's first
// character, then one item, then more items each after the operator's separator. An item
// is any variable's value (lists included, since a list joins its members with "," or,
// exploded, with the separator) or, for the named operators ; ? &, "name=value".
// Like the reference hub's matcher, a value of the simple and . / ; ? & operators holds
// unreserved characters and %-escapes; + and # values may also hold reserved ones.

namespace es::mercure {
namespace {

struct Operator {
  char symbol;
  std::string_view first;
  std::string_view separator;
  bool named;
  bool reserved;
};

constexpr Operator operators[] = {
    {'\0', "", ",", false, false}, {'+', "", ",", false, true}, {'#', "#", ",", false, true},
    {'.', ".", ".", false, false}, {'/', "/", "/", false, false}, {';', ";", ";", true, false},
    {'?', "?", "&", true, false},  {'&', "&", "&", true, false},
};

struct Variable {
  std::string name;
  std::size_t prefix = 0; // ":n", 0 when none
  bool explode = false;
};

ByteClass value_bytes(bool reserved) {
  ByteClass bytes;
  for (int c = 0; c < 256; ++c)
    if (std::isalnum(c) && c < 128) bytes.set(static_cast<std::size_t>(c));
  for (unsigned char c : std::string_view("-._~%")) bytes.set(c);
  if (reserved)
    for (unsigned char c : std::string_view(":/?#[]@!$&'()*+,;=")) bytes.set(c);
  return bytes;
}

bool name_byte(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '%' || c == '.';
}

// RFC 6570 literals: anything but controls, space and " ' < > \ ^ ` { | }.
bool literal_byte(unsigned char c) {
  if (c <= 0x20 || c == 0x7f) return false;
  return std::string_view("\"'<>\\^`{|}").find(static_cast<char>(c)) == std::string_view::npos;
}

std::optional<std::vector<Variable>> read_variables(std::string_view list) {
  std::vector<Variable> variables;
  std::size_t at = 0;
  while (true) {
    Variable variable;
    auto start = at;
    while (at < list.size() && name_byte(list[at])) ++at;
    variable.name = std::string(list.substr(start, at - start));
    if (variable.name.empty() || variable.name.front() == '.' || variable.name.back() == '.') return std::nullopt;
    if (at < list.size() && list[at] == '*') {
      variable.explode = true;
      ++at;
    } else if (at < list.size() && list[at] == ':') {
      auto digits = ++at;
      while (at < list.size() && std::isdigit(static_cast<unsigned char>(list[at])) && at - digits < 4)
        variable.prefix = variable.prefix * 10 + static_cast<std::size_t>(list[at++] - '0');
      if (at == digits || list[digits] == '0') return std::nullopt;
    }
    variables.push_back(std::move(variable));
    if (at == list.size()) return variables;
    if (list[at] != ',') return std::nullopt;
    ++at;
  }
}

// Prefixes longer than this match as if unbounded: spelling out n optional bytes would
// let one selector grow the matcher by thousands of states.
constexpr std::size_t longest_spelled_prefix = 64;

TopicNfa::Fragment value(TopicNfa& nfa, const Operator& op, const Variable& variable) {
  auto bytes = value_bytes(op.reserved);
  if (variable.prefix == 0 || variable.prefix > longest_spelled_prefix) {
    bytes.set(',');
    return nfa.star(nfa.one_of(bytes));
  }
  auto piece = nfa.optional(nfa.one_of(bytes));
  for (std::size_t n = 1; n < variable.prefix; ++n) piece = nfa.optional(nfa.sequence(nfa.one_of(bytes), std::move(piece)));
  return piece;
}

TopicNfa::Fragment item(TopicNfa& nfa, const Operator& op, const Variable& variable) {
  if (!op.named) return value(nfa, op, variable);
  // An exploded associative array names its own keys.
  auto name = variable.explode ? nfa.plus(nfa.one_of(value_bytes(false))) : nfa.literal(variable.name);
  auto assigned = nfa.sequence(nfa.literal("="), value(nfa, op, variable));
  // ";" drops "=" for an empty value; "?" and "&" keep it, but an exploded key may come bare.
  if (op.symbol == ';' || variable.explode) assigned = nfa.optional(std::move(assigned));
  return nfa.sequence(std::move(name), std::move(assigned));
}

TopicNfa::Fragment any_item(TopicNfa& nfa, const Operator& op, const std::vector<Variable>& variables) {
  auto piece = item(nfa, op, variables.front());
  for (std::size_t i = 1; i < variables.size(); ++i) piece = nfa.either(std::move(piece), item(nfa, op, variables[i]));
  return piece;
}

TopicNfa::Fragment expression(TopicNfa& nfa, const Operator& op, const std::vector<Variable>& variables) {
  auto more = nfa.star(nfa.sequence(nfa.literal(op.separator), any_item(nfa, op, variables)));
  auto items = nfa.sequence(any_item(nfa, op, variables), std::move(more));
  return nfa.optional(nfa.sequence(nfa.literal(op.first), std::move(items)));
}

} // namespace

std::optional<CompiledTemplate> compile_uri_template(std::string_view text, std::size_t max_expressions) {
  CompiledTemplate compiled;
  auto whole = compiled.nfa.empty();
  std::size_t expressions = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    auto open = text.find('{', at);
    auto literal = text.substr(at, open == std::string_view::npos ? std::string_view::npos : open - at);
    for (unsigned char c : literal)
      if (!literal_byte(c) && c < 0x80) return std::nullopt;
    if (expressions == 0) compiled.literal_prefix = std::string(literal);
    whole = compiled.nfa.sequence(std::move(whole), compiled.nfa.literal(literal));
    if (open == std::string_view::npos) break;
    auto close = text.find('}', open);
    if (close == std::string_view::npos) return std::nullopt;
    auto body = text.substr(open + 1, close - open - 1);
    const Operator* op = &operators[0];
    for (const auto& candidate : operators)
      if (candidate.symbol != '\0' && !body.empty() && body.front() == candidate.symbol) op = &candidate;
    if (op != &operators[0]) body.remove_prefix(1);
    auto variables = read_variables(body);
    if (!variables) return std::nullopt;
    if (++expressions > max_expressions)
      throw SelectorError("the topic selector holds more than " + std::to_string(max_expressions) +
                          " template expressions; split it into several selectors");
    whole = compiled.nfa.sequence(std::move(whole), expression(compiled.nfa, *op, *variables));
    at = close + 1;
  }
  if (expressions == 0) return std::nullopt;
  compiled.nfa.finish(std::move(whole));
  return compiled;
}

} // namespace es::mercure
