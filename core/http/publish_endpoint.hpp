#pragma once
// POST /publish/ (SPEC §9): authorize, validate, publish, answer {"ids": [...]} once
// the events are committed.
#include <functional>

#include <boost/asio/ip/address.hpp>

#include "http/responses.hpp"
#include "http/shared_state.hpp"

namespace es::http {

// `reply` runs exactly once, on some thread: at once for a refused request, otherwise
// after the publisher has committed (or failed).
void handle_publish(const Request& req, const boost::asio::ip::address& peer, SharedState& state,
                    std::function<void(Response)> reply);

} // namespace es::http
