#include "http2/http2_exchange.hpp"

#include <algorithm>
#include <variant>

#include <boost/beast/core/string.hpp>

#include "http/admission.hpp"
#include "http/safe_fields.hpp"
#include "http2/http2_session.hpp"
#include "http2/http2_sink.hpp"

namespace es::http2 {

namespace bhttp = boost::beast::http;

namespace {

// How long a request's body may take once its head arrived, and an answer to be written:
// as over HTTP/1.1.
constexpr std::chrono::seconds request_timeout{60};

} // namespace

Http2Exchange::Http2Exchange(std::shared_ptr<Http2Session> session, std::int32_t id)
    : Exchange(session->state(), session->shard(), session->serves(), session->peer()), session_(std::move(session)),
      id_(id), deadline_(session_->executor()) {
  req_.version(11);
}

Http2Exchange::~Http2Exchange() { release_body(); }

boost::asio::any_io_executor Http2Exchange::executor() { return session_->executor(); }

void Http2Exchange::expires_after(std::chrono::steady_clock::duration timeout) {
  deadline_.expires_after(timeout);
  deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    auto& exchange = static_cast<Http2Exchange&>(*self);
    // As HTTP/1.1 closes the connection without an answer, the stream is reset.
    if (!exchange.closed_) exchange.session_->reset(exchange.id_, NGHTTP2_CANCEL);
  });
}

// A head sent slowly (CONTINUATION frames trickling) holds the stream for nothing.
void Http2Exchange::start() { expires_after(state_.config.header_timeout); }

void Http2Exchange::add_field(std::string_view name, std::string_view value) {
  if (name.starts_with(':')) {
    if (name == ":method") req_.method_string(value);
    else if (name == ":path") req_.target(value);
    else if (name == ":authority") authority_ = value;
    return; // :scheme says nothing this server needs
  }
  // RFC 9113 §8.2.3: crumbs of one Cookie field, joined again for HTTP/1.1's reader.
  if (name == "cookie") {
    if (!cookies_.empty()) cookies_ += "; ";
    cookies_ += value;
    return;
  }
  if (name.size() > http::max_field_size || value.size() > http::max_field_size) {
    field_too_large_ = true;
    return;
  }
  req_.insert(name, value);
}

void Http2Exchange::on_head(bool over_limit) {
  if (closed_) return;
  expires_after(request_timeout);
  // nghttp2 has checked the pseudo-header fields: :method and :path are there, and
  // :authority or Host.
  if (!authority_.empty()) req_.set(bhttp::field::host, authority_);
  if (!cookies_.empty()) req_.set(bhttp::field::cookie, cookies_);
  if (over_limit || field_too_large_ || cookies_.size() > http::max_field_size)
    return refuse(http::head_too_large(state_.config));
  if (auto problem = http::parsed_head_problem(req_)) return refuse(*problem);
  if (auto problem = http::oversized_head_problem(req_, state_.config)) return refuse(*problem);
}

void Http2Exchange::on_body(const std::uint8_t* data, std::size_t size) {
  if (refused_ || closed_ || handled_) return;
  const auto& config = state_.config;
  if (req_.body().size() + size > config.max_body) return refuse(http::body_too_large(config));
  if (session_->body_bytes + size > config.max_body)
    return refuse({bhttp::status::payload_too_large,
                   "the request bodies this connection is sending at once add up to more than this server's "
                   "--max-body of " + std::to_string(config.max_body) +
                       " bytes; send them one after another, or raise --max-body"});
  req_.body().append(reinterpret_cast<const char*>(data), size);
  body_counted_ += size;
  session_->body_bytes += size;
}

void Http2Exchange::on_end() {
  request_ended_ = true;
  if (refused_ || closed_ || handled_) return;
  handled_ = true;
  handle(req_);
  // What handling needed of the body it has read: the connection's budget gets it back.
  release_body();
}

void Http2Exchange::release_body() {
  session_->body_bytes -= body_counted_;
  body_counted_ = 0;
  std::string().swap(req_.body());
}

void Http2Exchange::refuse(const http::HeadProblem& problem) {
  refused_ = true;
  release_body();
  respond(http::refusal(problem.status, problem.message));
}

void Http2Exchange::send(http::Response res) {
  if (closed_) return answered(); // nobody to answer
  response_ = std::move(res);
  ResponseFields fields(response_->result_int());
  for (const auto& field : *response_) fields.add(field.name_string(), field.value());
  bool with_body = !response_->body().empty();
  if (!session_->submit_response(id_, fields, with_body)) {
    response_.reset();
    return answered();
  }
  answering_ = true;
  expires_after(request_timeout);
  if (!with_body) return answer_handed();
  body_.reset(boost::asio::buffer(response_->body()));
  waiting_ = true;
  session_->waiting(true);
}

ssize_t Http2Exchange::next_data(std::size_t max, std::uint32_t& flags) {
  if (!answering_ || body_.left() == 0) return NGHTTP2_ERR_DEFERRED;
  auto n = std::min(max, body_.left());
  flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (n == body_.left()) flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

void Http2Exchange::take_data(std::size_t length, stream::WriteBatch& out) {
  body_.take(length, out);
  if (body_.left() == 0) answer_handed();
}

void Http2Exchange::answer_handed() {
  if (std::exchange(waiting_, false)) session_->waiting(false);
  // Answered before the client finished sending (a refusal): the rest is not wanted
  // (RFC 9113 §8.1).
  if (!request_ended_) session_->reset(id_, NGHTTP2_NO_ERROR);
  session_->after_next_write({nullptr, std::static_pointer_cast<Http2Exchange>(shared_from_this()), {}});
}

void Http2Exchange::on_answer_written() {
  if (!std::exchange(answering_, false)) return;
  deadline_.cancel();
  answered();
}

void Http2Exchange::on_close(std::uint32_t) {
  closed_ = true;
  deadline_.cancel();
  release_body();
  if (std::exchange(waiting_, false)) session_->waiting(false);
}

std::unique_ptr<stream::Sink> Http2Exchange::become_stream(const http::Request& req) {
  deadline_.cancel();
  if (closed_) return nullptr; // reset while the stream was being authorized: nobody to answer
  // Each event stream counts as a connection of its own, as it would over HTTP/1.1.
  auto admitted = http::admit(state_, peer_.address(), serves_ != http::Serves::publishing);
  if (auto* refused = std::get_if<http::AdmissionRefused>(&admitted)) {
    auto res = http::json_error(req, refused->status, refused->why + "; try again after Retry-After seconds");
    res.set(bhttp::field::retry_after, std::to_string(http::retry_after(state_).count()));
    respond(std::move(res));
    return nullptr;
  }
  auto sink = std::make_unique<Http2Sink>(session_, id_, std::move(std::get<http::ConnectionSlot>(admitted)));
  session_->attach(id_, sink.get());
  return sink;
}

} // namespace es::http2
