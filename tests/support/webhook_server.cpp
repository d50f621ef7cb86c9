#include "support/webhook_server.hpp"

#include <thread>

#include <rapidjson/document.h>

namespace es::test {
namespace {

WebhookServer::Call call_of(const FakeRequest& request) {
  WebhookServer::Call call;
  rapidjson::Document doc;
  doc.Parse(request.body.c_str());
  if (!doc.HasParseError() && doc.IsObject()) {
    if (doc.HasMember("user") && doc["user"].IsString()) call.user = doc["user"].GetString();
    if (doc.HasMember("channel") && doc["channel"].IsString()) call.channel = doc["channel"].GetString();
  }
  call.cookie = request.header("Cookie");
  return call;
}

} // namespace

WebhookServer::WebhookServer(Decide decide, std::chrono::milliseconds delay)
    : server_([decide = std::move(decide), delay](const FakeRequest& request) {
        std::this_thread::sleep_for(delay);
        auto call = call_of(request);
        return FakeReply{decide(call.user, call.channel), "", "text/plain"};
      }) {}

std::vector<WebhookServer::Call> WebhookServer::calls() const {
  std::vector<Call> calls;
  for (const auto& request : server_.requests()) calls.push_back(call_of(request));
  return calls;
}

} // namespace es::test
