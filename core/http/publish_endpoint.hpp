#pragma once
// POST /publish/ (SPEC §9): authorize, validate, publish, answer {"ids": [...]}.
#include <boost/asio/ip/address.hpp>

#include "http/responses.hpp"
#include "http/shared_state.hpp"

namespace es::http {

Response handle_publish(const Request& req, const boost::asio::ip::address& peer, SharedState& state);

} // namespace es::http
