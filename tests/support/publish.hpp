#pragma once
// Publishing from tests straight through the HTTP API (the CLI has tests of its own).
#include <string>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace es::test {

// POST /publish/ with `body` as is.
HttpResponse publish_body(const ServerProcess& server, const std::string& body, const Headers& headers = {});

// One event whose data is the JSON text `data`; expects a 200.
void publish(const ServerProcess& server, const std::string& channel, const std::string& type,
             const std::string& data);

} // namespace es::test

namespace es::test {

// {"items": [...]} of `count` events on `channel` whose data are the numbers first, first+1, ...
std::string numbered_batch(const std::string& channel, int first, int count);

// {"items": [...]} of `count` events of type "e" on `channel`, each with a string of
// `data_bytes` x's as its data.
std::string sized_batch(const std::string& channel, int count, std::size_t data_bytes);

} // namespace es::test
