#include "http/http1_sink.hpp"

#include <charconv>
#include <memory_resource>
#include <utility>

#include <boost/asio/write.hpp>

#include "http/safe_fields.hpp"

namespace es::http {

namespace net = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::string_view crlf_last_chunk = "\r\n0\r\n\r\n";
constexpr std::string_view last_chunk = "0\r\n\r\n";

// The hang-up watch's handler. The watch lasts as long as the stream, and so does the
// block its operation is given. Asio would hand it the block the thread's last
// operation left, most often the request's read (284 bytes for the 152 the watch
// needs), and every idle stream would keep the difference: this allocator, not
// std::allocator, takes just what is needed from the heap.
struct Watching {
  Http1Sink* sink;
  std::shared_ptr<stream::Sink::Owner> owner;
  using allocator_type = std::pmr::polymorphic_allocator<>;
  allocator_type get_allocator() const noexcept { return {}; }
  void operator()(error_code ec, std::size_t) {
    if (ec) return owner->on_gone();
    sink->watch(std::move(owner));
  }
};

} // namespace

Http1Sink::Http1Sink(Transport transport, ConnectionSlot slot, unsigned http_version)
    : transport_(std::move(transport)), slot_(std::move(slot)), chunked_(http_version >= 11) {}

void Http1Sink::open(const HeaderList& fields) {
  head_ = chunked_ ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.0 200 OK\r\n";
  head_ += header_line("Content-Type", "text/event-stream");
  for (const auto& [name, value] : fields) head_ += header_line(name, value);
  head_ += chunked_ ? "Transfer-Encoding: chunked\r\n\r\n" : "Connection: close\r\n\r\n";
}

void Http1Sink::write(stream::WriteBatch& batch, bool last, std::shared_ptr<Owner> owner) {
  char size_line[stream::WriteBatch::frame_room];
  std::string_view prefix, suffix;
  if (chunked_) {
    if (!batch.empty()) {
      auto end = std::to_chars(size_line, size_line + sizeof size_line - 2, batch.size(), 16).ptr;
      *end++ = '\r';
      *end++ = '\n';
      prefix = {size_line, static_cast<std::size_t>(end - size_line)};
      suffix = last ? crlf_last_chunk : crlf;
    } else if (last) {
      suffix = last_chunk;
    }
  }
  const auto& buffers = batch.frame(head_, prefix, suffix);
  // The owner owns this sink: holding it keeps both alive until the write is done.
  auto written = [this, last, owner = std::move(owner)](error_code ec, std::size_t) {
    if (!head_.empty()) std::string().swap(head_);
    // The end of a close-delimited body, and after the last chunk the sign that no
    // request follows.
    if (!ec && last) transport_.shutdown_send();
    owner->on_written(ec);
  };
  // One buffer is the usual case; a vector would be copied into the operation.
  if (buffers.size() == 1) net::async_write(transport_, buffers.front(), std::move(written));
  else net::async_write(transport_, buffers, std::move(written));
}

// An SSE client sends nothing after its request; reading is how a hang-up is noticed
// at once rather than at the next write.
void Http1Sink::watch(std::shared_ptr<Owner> owner) {
  transport_.async_read_some(net::buffer(client_bytes_), Watching{this, std::move(owner)});
}

void Http1Sink::close() {
  transport_.close();
}

} // namespace es::http
