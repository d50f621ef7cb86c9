#pragma once
// The bytes of an SSE stream (docs/protocol.md §2), built once per event and shared by every
// subscriber. An event is split around its `id:` line, because the id is the position
// of each subscriber's whole stream and is the only part that differs between them.
#include <string>
#include <string_view>
#include <vector>

namespace es::sse {

// `:` + 2048 spaces + a blank line (old proxies and browsers buffer the first 2 KiB),
// then the stream-open event.
std::string_view stream_preamble();

std::string_view keep_alive();

// ": <text>\n\n", line breaks in `text` made spaces: what clients of other protocols
// (Mercure) ignore, in place of our stream-error.
std::string comment(std::string_view text);

// "event: <type>\n". The type must not hold CR or LF (the publish API refuses them:
// event_type.hpp).
std::string event_head(std::string_view type);

// "data: <line>\n" for every line of `data`, then the blank line that ends the event.
// JSON data is one line; raw text may hold CR, LF or CRLF line breaks.
std::string event_body(std::string_view data);

// "id: <position>\n", or nothing for a stream with no stored channel.
void append_id_line(std::string& out, std::string_view position);

std::string stream_error(std::string_view condition, std::string_view text,
                         const std::vector<std::string>& channels = {});

// A stream-reset is head, the stream's id line, then body.
std::string_view stream_reset_head();
std::string stream_reset_body(const std::vector<std::string>& channels);

} // namespace es::sse
