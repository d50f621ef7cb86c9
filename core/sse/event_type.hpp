#pragma once
// What an event type may be: a name clients dispatch on (the SSE `event:` field,
// addEventListener), not a payload. So it is short text: no control characters (CR or LF
// would end the field and start a forged one; NUL, VT, FF and the rest have no place in a
// name), at most max_event_type_length bytes, and none of the names the server itself
// sends on every stream: a publisher's `stream-error` would end ReconnectingEventSource-
// style clients for good, a `stream-reset` would make them reload their state.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace es::sse {

constexpr std::size_t max_event_type_length = 256;

// The types of the events the encoder writes (encoder.hpp).
constexpr std::array<std::string_view, 4> reserved_event_types{"stream-open", "stream-error", "stream-reset",
                                                               "keep-alive"};

// Empty when a publisher may send the (non-empty) `type`; otherwise what is wrong with it,
// to be shown to whoever sent it.
std::string event_type_problem(std::string_view type);

} // namespace es::sse
