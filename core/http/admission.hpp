#pragma once
// --max-connections and --max-connections-per-address: whether one more connection, or
// one more HTTP/2 event stream (each counts as a connection of its own), may be held.
// The listener asks for every connection it accepts; an HTTP/2 stream asks when it is
// about to become an event stream.
#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/status.hpp>

#include "http/connection_slot.hpp"
#include "http/shared_state.hpp"

namespace es::http {

// Why a connection or stream is not held: 503 or 429, and a sentence ending in
// "(--flag N)". Counted and logged (once a minute) already.
struct AdmissionRefused {
  boost::beast::http::status status;
  std::string why;
};

// The slot that counts it, or the refusal. `limited` is false for what the --publish-addr
// listener serves, which the limits leave alone.
std::variant<ConnectionSlot, AdmissionRefused> admit(SharedState& state, const boost::asio::ip::address& address,
                                                     bool limited);

// The Retry-After of a refusal: --retry (a second at least) plus up to as much again, so
// that refused clients do not all come back at once.
std::chrono::seconds retry_after(const SharedState& state);

} // namespace es::http
