// Upstream connects shared by the HTTP router and the TCP proxy.
#include "proxy/upstream_connect.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace meshc::proxy {
namespace {
using namespace boost::asio::experimental::awaitable_operators;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
using boost::system::error_code;
}  // namespace

std::string endpointText(const tcp::endpoint& ep) {
  std::string addr = ep.address().to_string();
  if (ep.address().is_v6()) {
    addr = "[" + addr + "]";
  }
  return addr + ":" + std::to_string(ep.port());
}

asio::awaitable<std::optional<AttemptFailure>> connectUpstream(Worker& worker,
                                                               const ClusterState& cluster,
                                                               UpstreamHost& host,
                                                               ClusterCounters& counters,
                                                               tcp::socket& socket) {
  asio::steady_timer timer(worker.io());
  if (cluster.connect_timeout) {  // the DestinationRule's tcp.connectTimeout (R12.1)
    timer.expires_after(*cluster.connect_timeout);
  } else {
    timer.expires_after(worker.settings().connect_timeout);
  }
  auto result = co_await (socket.async_connect(host.endpoint, kAwait) || timer.async_wait(kAwait));
  host.cx_total += 1;
  counters.upstream_cx_total += 1;
  std::optional<AttemptFailure> failure;
  bool cancelled = false;  // by the caller's route timer: not the upstream's failure
  if (result.index() == 1) {
    failure = attemptFailure(router::UpstreamReset::kConnectTimeout, "connection timeout");
  } else if (auto [ec] = std::get<0>(result); ec) {
    cancelled = ec == asio::error::operation_aborted;
    std::string reason =
        ec == asio::error::connection_refused ? "Connection refused" : ec.message();
    failure = attemptFailure(router::UpstreamReset::kConnectFailure, "remote connection failure",
                             "delayed connect error: " + reason);
  }
  error_code ignored;
  if (failure) {
    if (!cancelled) {
      host.cx_connect_fail += 1;
      counters.upstream_cx_connect_fail += 1;
    }
    socket.close(ignored);
  } else {
    socket.set_option(tcp::no_delay(true), ignored);
    worker.stats().upstream_cx_active += 1;
  }
  co_return failure;
}

}  // namespace meshc::proxy
