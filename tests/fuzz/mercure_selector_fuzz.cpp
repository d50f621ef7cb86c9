// Fuzz target: a Mercure topic selector and a topic, as subscribers, tokens and publishers
// send them. The first byte picks the selector's kind (topic=, match=, match_urlpattern=);
// the rest is "selector\ntopic". Compiling and matching must stay bounded whatever they are.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mercure/selector.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto newline = input.find('\n');
  auto text = input.substr(0, newline);
  auto topic = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  try {
    using es::mercure::Selector;
    auto selector = data[0] % 3 == 0   ? Selector::topic_selector(text)
                    : data[0] % 3 == 1 ? Selector::exact(text)
                                       : Selector::url_pattern(text, "https://hub.example/.well-known/mercure");
    selector.matches(topic);
    selector.matches(text);
    (void)selector.literal_prefix();
  } catch (const es::mercure::SelectorError&) {
  }
  return 0;
}
