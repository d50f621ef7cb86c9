#pragma once
// What one listener serves. With --publish-addr the publish API has a listener of its own,
// on a port no proxy forwards to (as Pushpin's control port and nchan's publisher
// location are kept apart), and the main listener leaves publishing out.
namespace es::http {

enum class Serves {
  everything,         // no --publish-addr: streams, pages, publishing, health, metrics
  all_but_publishing, // the main listener beside a --publish-addr one
  publishing,         // --publish-addr: /publish/, /kick/, /metrics, /healthz and /readyz
};

} // namespace es::http
