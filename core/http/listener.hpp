#pragma once
// Accepts connections and gives each its own strand and HttpSession.
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http/shared_state.hpp"

namespace es::http {

class Listener : public std::enable_shared_from_this<Listener> {
public:
  // Throws std::runtime_error saying which address could not be used and why.
  Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint, SharedState& state);

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void start();
  void stop();

private:
  void accept();

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  SharedState& state_;
};

} // namespace es::http
