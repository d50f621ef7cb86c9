#pragma once
// The answer to a stream request that came through a GRIP proxy (docs/protocol.md §11). It is
// complete at once: the proxy holds the client's connection, and the server holds
// nothing. The body is what the client is missing (the preamble on a first request, a
// reset, a page of stored events); the headers tell the proxy which channels to hold
// the stream on and from which ids, how to build ids and keep-alives, and the link to
// fetch for what it misses later: the next page, or a gap in what it was published.
// It reads storage: call it on a reader thread (storage::ReaderPool), never an I/O one.
#include "http/responses.hpp"
#include "stream/stream_request.hpp"

namespace es::stream {

Response grip_answer(const Request& req, const StreamPlan& plan, const StreamContext& context);

} // namespace es::stream
