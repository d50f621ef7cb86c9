#include "support/h2_client.hpp"

#include <unistd.h>

#include <stdexcept>

#include <nghttp2/nghttp2.h>

namespace es::test::h2 {
namespace {

void put32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

std::uint32_t get32(std::string_view in) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

} // namespace

std::string frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream, std::string_view payload) {
  std::string out;
  auto length = static_cast<std::uint32_t>(payload.size());
  out += static_cast<char>((length >> 16) & 0xff);
  out += static_cast<char>((length >> 8) & 0xff);
  out += static_cast<char>(length & 0xff);
  out += static_cast<char>(type);
  out += static_cast<char>(flags);
  put32(out, static_cast<std::uint32_t>(stream) & 0x7fffffff);
  out += payload;
  return out;
}

std::string settings_frame(const Settings& settings) {
  std::string payload;
  for (auto [id, value] : settings) {
    payload += static_cast<char>(id >> 8);
    payload += static_cast<char>(id & 0xff);
    put32(payload, value);
  }
  return frame(SETTINGS, 0, 0, payload);
}

std::string hpack_integer(std::uint8_t first, int prefix_bits, std::size_t value) {
  std::size_t limit = (1u << prefix_bits) - 1;
  if (value < limit) return std::string(1, static_cast<char>(first | value));
  std::string out(1, static_cast<char>(first | limit));
  for (value -= limit; value >= 128; value /= 128) out += static_cast<char>((value % 128) + 128);
  out += static_cast<char>(value);
  return out;
}

std::string literal_block(const Headers& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    out += '\0'; // literal without indexing, new name
    out += hpack_integer(0, 7, name.size()) + name;
    out += hpack_integer(0, 7, value.size()) + value;
  }
  return out;
}

Client::Client(const std::string& host, int port, const Settings& settings)
    : fd_(connect_tcp(host, port)), authority_(host_port(host, port)) {
  if (nghttp2_hd_inflate_new(&inflater_) != 0) throw std::runtime_error("nghttp2_hd_inflate_new failed");
  send(std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + settings_frame(settings));
}

Client::~Client() {
  nghttp2_hd_inflate_del(inflater_);
  ::close(fd_);
}

bool Client::send(std::string_view bytes) {
  if (closed_) return false;
  try {
    send_all(fd_, bytes);
    return true;
  } catch (const std::exception&) {
    closed_ = true;
    return false;
  }
}

bool Client::request(std::int32_t stream, const std::string& method, const std::string& path, const Headers& extra,
                     bool end_stream) {
  Headers fields{{":method", method}, {":scheme", "http"}, {":authority", authority_}, {":path", path}};
  fields.insert(fields.end(), extra.begin(), extra.end());
  // Frames of at most 16 KiB, the size every peer takes (SETTINGS_MAX_FRAME_SIZE).
  constexpr std::size_t max_frame = 16384;
  auto block = literal_block(fields);
  std::string frames;
  for (std::size_t at = 0; at == 0 || at < block.size(); at += max_frame) {
    bool last = at + max_frame >= block.size();
    std::uint8_t flags = last ? END_HEADERS : 0;
    if (at == 0 && end_stream) flags |= END_STREAM;
    frames += frame(at == 0 ? HEADERS : CONTINUATION, flags, stream, std::string_view(block).substr(at, max_frame));
  }
  return send(frames);
}

bool Client::data(std::int32_t stream, std::string_view bytes, bool end_stream) {
  return send(frame(DATA, end_stream ? END_STREAM : 0, stream, bytes));
}

bool Client::reset(std::int32_t stream, std::uint32_t code) {
  std::string payload;
  put32(payload, code);
  return send(frame(RST_STREAM, 0, stream, payload));
}

bool Client::window_update(std::int32_t stream, std::uint32_t increment) {
  std::string payload;
  put32(payload, increment);
  return send(frame(WINDOW_UPDATE, 0, stream, payload));
}

bool Client::wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (closed_ || !read_once(deadline)) return done();
  }
  return true;
}

bool Client::wait_for_end(std::int32_t id, std::chrono::milliseconds timeout) {
  return wait_until([&] { return streams_[id].ended || streams_[id].reset.has_value(); }, timeout);
}

bool Client::wait_for_close(std::chrono::milliseconds timeout) {
  wait_until([] { return false; }, timeout);
  return closed_;
}

// Reads once and handles every whole frame; false on timeout or when the connection
// closed.
bool Client::read_once(Clock::time_point deadline) {
  auto status = recv_some(fd_, in_, deadline);
  if (status == RecvStatus::eof) closed_ = true;
  while (in_.size() >= 9) {
    std::size_t length = (static_cast<unsigned char>(in_[0]) << 16) | (static_cast<unsigned char>(in_[1]) << 8) |
                         static_cast<unsigned char>(in_[2]);
    if (in_.size() < 9 + length) break;
    auto type = static_cast<std::uint8_t>(in_[3]);
    auto flags = static_cast<std::uint8_t>(in_[4]);
    auto stream = static_cast<std::int32_t>(get32(std::string_view(in_).substr(5)) & 0x7fffffff);
    std::string payload = in_.substr(9, length);
    in_.erase(0, 9 + length);
    ++frames_received_;
    handle(type, flags, stream, payload);
  }
  return status == RecvStatus::data;
}

void Client::handle(std::uint8_t type, std::uint8_t flags, std::int32_t id, std::string_view payload) {
  switch (type) {
  case DATA: {
    auto& s = streams_[id];
    s.body += payload;
    ++s.data_frames;
    if (flags & END_STREAM) s.ended = true;
    if (!payload.empty()) {
      window_update(0, static_cast<std::uint32_t>(payload.size()));
      if (!held_.count(id) && !s.ended) window_update(id, static_cast<std::uint32_t>(payload.size()));
    }
    break;
  }
  case HEADERS:
  case CONTINUATION:
    if (type == HEADERS) {
      block_.clear();
      block_stream_ = id;
      block_ends_stream_ = flags & END_STREAM;
    }
    block_ += payload; // the server sends neither padding nor priority
    if (flags & END_HEADERS) decode_block(block_stream_, block_);
    break;
  case RST_STREAM: streams_[id].reset = get32(payload); break;
  case SETTINGS:
    if (!(flags & ACK)) send(frame(SETTINGS, ACK, 0, ""));
    break;
  case PING:
    if (!(flags & ACK)) send(frame(PING, ACK, 0, payload));
    break;
  case GOAWAY:
    goaway_ = Goaway{static_cast<std::int32_t>(get32(payload) & 0x7fffffff), get32(payload.substr(4)),
                     std::string(payload.substr(8))};
    break;
  default: break;
  }
}

void Client::decode_block(std::int32_t id, std::string_view block) {
  auto& s = streams_[id];
  s.headers.clear();
  auto in = reinterpret_cast<const std::uint8_t*>(block.data());
  std::size_t left = block.size();
  for (;;) {
    nghttp2_nv nv;
    int inflate_flags = 0;
    auto used = nghttp2_hd_inflate_hd2(inflater_, &nv, &inflate_flags, in, left, 1);
    if (used < 0) throw std::runtime_error("the server's header block does not decode (HPACK)");
    in += used;
    left -= static_cast<std::size_t>(used);
    if (inflate_flags & NGHTTP2_HD_INFLATE_EMIT) {
      std::string name(reinterpret_cast<const char*>(nv.name), nv.namelen);
      std::string value(reinterpret_cast<const char*>(nv.value), nv.valuelen);
      if (name == ":status") s.status = std::stoi(value);
      else s.headers.emplace_back(std::move(name), std::move(value));
    }
    if (inflate_flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(inflater_);
      break;
    }
    if ((inflate_flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) break;
  }
  if (block_ends_stream_) s.ended = true;
}

} // namespace es::test::h2
