#pragma once
// The publish-key API (docs/protocol.md §8-9): POST /publish/ validates, publishes and answers
// {"ids": [...]} once the events are committed; POST /kick/ {"user", "channel"}
// re-checks that user's streams on that channel and answers {"ended": N}. Both take
// `Authorization: Bearer KEY` with --publish-key; without one, loopback clients whose
// request shows no proxy forwarded it (proxy_headers.hpp).
#include <functional>

#include <boost/asio/ip/address.hpp>

#include "http/responses.hpp"
#include "http/publish_context.hpp"

namespace es::http {

// `reply` runs exactly once, on some thread: at once for a refused request, otherwise
// after the publisher has committed (or failed).
void handle_publish(const Request& req, const boost::asio::ip::address& peer, const PublishContext& context,
                    std::function<void(Response)> reply);

// The same for a kick: after the application's fresh answer (with --auth-url) and
// every shard's re-check.
void handle_kick(const Request& req, const boost::asio::ip::address& peer, const PublishContext& context,
                 std::function<void(Response)> reply);

} // namespace es::http
