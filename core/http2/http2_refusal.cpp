#include "http2/http2_refusal.hpp"

#include <memory>

#include <nghttp2/nghttp2.h>

#include "http/refusal.hpp"

namespace es::http2 {

void refuse_http2(http::Transport transport, const std::string& why) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session* session = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) return; // out of memory: the connection just closes
  int failed = nghttp2_session_server_new(&session, callbacks, nullptr);
  nghttp2_session_callbacks_del(callbacks);
  if (failed) return;
  std::unique_ptr<nghttp2_session, decltype(&nghttp2_session_del)> owned(session, nghttp2_session_del);
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
  nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, reinterpret_cast<const std::uint8_t*>(why.data()),
                        why.size());
  std::string bytes;
  const std::uint8_t* data = nullptr;
  for (ssize_t n; (n = nghttp2_session_mem_send(session, &data)) > 0;)
    bytes.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  http::answer_and_close(std::move(transport), std::move(bytes));
}

} // namespace es::http2
