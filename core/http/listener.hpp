#pragma once
// Accepts connections and deals them out to the I/O threads in turn, each with its
// HttpSession; past --max-connections, a connection gets 503 with Retry-After instead,
// and past --max-connections-per-address, 429 with Retry-After. The main listener and the
// --publish-addr one share those limits.
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http/serves.hpp"
#include "http/shared_state.hpp"

namespace es::http {

class Listener : public std::enable_shared_from_this<Listener> {
public:
  // Throws std::runtime_error saying which address could not be used and why.
  Listener(boost::asio::any_io_executor executor, const boost::asio::ip::tcp::endpoint& endpoint, SharedState& state,
           Serves serves);

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void start();
  void stop();

private:
  void accept();
  // Runs the connection's HttpSession, or refuses it over a limit.
  void admit(boost::asio::ip::tcp::socket socket, std::size_t shard);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  SharedState& state_;
  Serves serves_;
  std::size_t next_shard_ = 0;
};

} // namespace es::http
