#pragma once
// What the streams of one server share, and all the stream domain sees of the server:
// the settings, the headers of every stream answer, who may read what, and where stored
// events are read.
#include <string>

#include "auth/access.hpp"
#include "config/server_config.hpp"
#include "http/header_list.hpp"
#include "storage/reader_pool.hpp"
#include "storage/storage.hpp"
#include "util/glob_set.hpp"

namespace es::stream {

struct StreamContext {
  // Throws std::invalid_argument for a CORS flag whose value cannot be a header.
  StreamContext(const config::ServerConfig& config, storage::Storage* storage, storage::ReaderPool* readers);

  const config::ServerConfig& config;
  // Headers of every stream answer, errors included: SSE's own, then CORS as configured.
  const http::HeaderList stream_headers;
  const GlobSet reliable; // the channels that are stored
  const auth::Access access;
  const std::string link_secret;      // signs the es-meta of the links given to GRIP proxies
  storage::Storage* const storage;    // null: live only
  // Where storage and Redis are called, off the I/O threads; null with neither.
  storage::ReaderPool* const readers;
};

} // namespace es::stream
