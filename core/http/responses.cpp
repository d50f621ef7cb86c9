#include "http/responses.hpp"

#include "metrics/metrics.hpp"
#include "sse/json_text.hpp"

namespace es::http {

Response text_response(ReplyTo to, bhttp::status status, std::string body, std::string_view content_type) {
  Response res{status, to.version};
  res.set(bhttp::field::server, "eventstream");
  res.set(bhttp::field::content_type, content_type);
  res.keep_alive(to.keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response json_error(ReplyTo to, bhttp::status status, std::string_view message) {
  std::string body = "{\"error\": ";
  sse::append_python_json_string(body, message);
  body += "}\n";
  return text_response(to, status, std::move(body), "application/json");
}

Response closing_answer(bhttp::status status, std::string_view message) {
  Request bare;
  bare.keep_alive(false);
  return json_error(bare, status, message);
}

Response refusal(bhttp::status status, std::string_view message) {
  metrics::metrics().requests_refused.fetch_add(1, std::memory_order_relaxed);
  return closing_answer(status, message);
}

void add_headers(Response& res, const HeaderList& headers) {
  for (const auto& [name, value] : headers) res.set(name, value);
}

Response head_only(Response get_answer) {
  auto size = get_answer.body().size();
  get_answer.body().clear();
  get_answer.content_length(size);
  return get_answer;
}

} // namespace es::http
