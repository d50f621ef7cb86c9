#pragma once
// The one way this program reads JSON: publish and kick bodies, tokens' headers and
// payloads, answers from the webhook's and ngrok's peers, events a client receives, and
// `eventstream send`'s input. Every text meets the same limits:
// - nesting at most max_json_depth levels. RapidJSON's iterative parser takes no stack,
//   but what walks a document afterwards (re-encoding data, Accept) recurses, so a body
//   of a million `[` must be refused before anything walks it;
// - valid UTF-8;
// - every number read exactly, as Python's json module reads it. RapidJSON 1.1.0
//   (Debian's) gets some numbers wrong in its full-precision mode: `0e40` becomes
//   -2.4e+229, `0.000000000000000000000000` -2.2e-193, `0.184467440737095516159`
//   -6.5e-201 (its issues 1249 and 1441, fixed after 1.1.0). So RapidJSON hands numbers
//   over as text, and they are converted here: an integer that fits in 64 bits stays an
//   integer, as RapidJSON keeps it; anything else becomes the nearest double.
// Nothing else calls RapidJSON's Parse (the OneJsonReader test in tests/CMakeLists.txt).
#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace es {

constexpr std::size_t max_json_depth = 256;

// A document that takes nothing from the heap for what it usually reads (a publish, a
// token: a few hundred bytes): its pool's first chunk and its parse stack start small,
// the chunk inside the document itself. glibc treats a request of 1 KiB or more as
// large and consolidates its free lists for it; RapidJSON's defaults (a 64 KiB first
// chunk, a 1 KiB stack) made one on every parse. Measured on one publisher's requests:
// that consolidation was 3-5% of the server's time.
namespace detail {
struct SmallPool {
  static constexpr std::size_t chunk = 768;
  alignas(std::max_align_t) char first_chunk[chunk];
  rapidjson::MemoryPoolAllocator<> pool{first_chunk, chunk, chunk};
};
} // namespace detail

class JsonDocument : private detail::SmallPool, public rapidjson::Document {
public:
  JsonDocument() : rapidjson::Document(&pool, parse_stack) {}
  JsonDocument(const JsonDocument&) = delete; // the document's values live in its own pool
  JsonDocument& operator=(const JsonDocument&) = delete;

private:
  static constexpr std::size_t parse_stack = 256;
};

// Fills `doc` and returns "", or returns what is wrong with `text` and where, e.g.
// "not valid JSON (Missing a name for object member. at byte 1)" or "nested deeper than
// 256 levels at byte 257". A number beyond a double's range is not valid JSON.
[[nodiscard]] std::string read_json(rapidjson::Document& doc, std::string_view text);

} // namespace es
