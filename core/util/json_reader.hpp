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

// A document whose memory pool grows in 1 KiB chunks. RapidJSON's first chunk is 64 KiB:
// for glibc a large allocation, which consolidates its free lists each time, and the
// bodies read here (a publish, a token) mostly take a few hundred bytes. Measured on one
// publisher's requests: 5% of the server's time went to that consolidation.
namespace detail {
struct SmallPool {
  rapidjson::MemoryPoolAllocator<> pool{1024};
};
} // namespace detail

class JsonDocument : private detail::SmallPool, public rapidjson::Document {
public:
  JsonDocument() : rapidjson::Document(&pool) {}
  JsonDocument(const JsonDocument&) = delete; // the document's values live in its own pool
  JsonDocument& operator=(const JsonDocument&) = delete;
};

// Fills `doc` and returns "", or returns what is wrong with `text` and where, e.g.
// "not valid JSON (Missing a name for object member. at byte 1)" or "nested deeper than
// 256 levels at byte 257". A number beyond a double's range is not valid JSON.
[[nodiscard]] std::string read_json(rapidjson::Document& doc, std::string_view text);

} // namespace es
