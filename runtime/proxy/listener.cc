// Listener → listener filters → filter chain → network filter, for each accepted connection.
#include "proxy/listener.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <memory>
#include <netinet/in.h>
#include <sys/socket.h>

#include "proxy/connection.h"
#include "proxy/drained_read.h"
#include "proxy/inspector.h"
#include "proxy/tcp_proxy.h"
#include "proxy/upstream_connect.h"
#include "proxy/worker.h"
#include "xds/listener_match.h"

namespace meshc::proxy {
namespace {

using namespace boost::asio::experimental::awaitable_operators;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
using boost::system::error_code;

// <linux/netfilter_ipv4.h> SO_ORIGINAL_DST and <linux/netfilter_ipv6/ip6_tables.h>
// IP6T_SO_ORIGINAL_DST: the destination a connection had before an iptables REDIRECT.
constexpr int kSoOriginalDst = 80;

// The destination the client asked for when iptables redirected the connection here; nullopt
// when it was not redirected (no conntrack entry, or the entry's destination is this socket).
std::optional<tcp::endpoint> originalDestination(tcp::socket& socket) {
  error_code ec;
  tcp::endpoint local = socket.local_endpoint(ec);
  if (ec) {
    return std::nullopt;
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  bool v6 = local.address().is_v6();
  if (::getsockopt(socket.native_handle(), v6 ? IPPROTO_IPV6 : IPPROTO_IP, kSoOriginalDst, &ss,
                   &len) != 0) {
    return std::nullopt;
  }
  tcp::endpoint dst;
  if (ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    dst = tcp::endpoint(asio::ip::address_v4(ntohl(in->sin_addr.s_addr)), ntohs(in->sin_port));
  } else if (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), in6->sin6_addr.s6_addr, bytes.size());
    dst = tcp::endpoint(asio::ip::address_v6(bytes), ntohs(in6->sin6_port));
  } else {
    return std::nullopt;
  }
  if (dst == local) {
    return std::nullopt;  // connected to the listener itself: explicit proxy use
  }
  return dst;
}

// What the listener filters learned.
struct Inspection {
  bool tls = false;
  std::string sni;
  std::vector<std::string> alpn;
  bool closed = false;     // the client went away (or an error) before saying enough
  bool timed_out = false;  // kListenerFiltersTimeout passed: go on with what is known
};

// Peeks at the first bytes until each requested inspector has decided (or the timeout); the
// bytes stay in the socket for the chain's filter.
asio::awaitable<Inspection> inspect(Worker& worker, tcp::socket& socket, bool want_tls,
                                    bool want_http) {
  Inspection result;
  std::unique_ptr<char[]> buffer(new char[kMaxInspectedBytes]);
  asio::steady_timer deadline(worker.io());
  deadline.expires_after(kListenerFiltersTimeout);
  bool tls_done = !want_tls;
  bool http_done = !want_http;
  size_t want = 1;
  // Each round waits for more bytes than the last saw: at most kMaxInspectedBytes rounds.
  for (size_t round = 0; round <= kMaxInspectedBytes && !(tls_done && http_done); ++round) {
    auto r = co_await (asyncPeekAtLeast(socket, asio::buffer(buffer.get(), kMaxInspectedBytes),
                                        want, kAwait) ||
                       deadline.async_wait(kAwait));
    if (r.index() == 1) {
      result.timed_out = true;
      co_return result;
    }
    auto [ec, n] = std::get<0>(r);
    if (ec || n == 0 || n < std::min(want, kMaxInspectedBytes)) {
      result.closed = true;  // an error, or the client hung up before saying enough
      co_return result;
    }
    std::string_view bytes(buffer.get(), n);
    if (!tls_done) {
      ClientHelloInfo hello;
      Inspected t = inspectTls(bytes, &hello);
      if (t == Inspected::kYes) {
        result.tls = true;
        result.sni = std::move(hello.sni);
        result.alpn = std::move(hello.alpn);
        tls_done = true;
        http_done = true;  // Envoy's HTTP inspector leaves TLS connections alone
      } else if (t == Inspected::kNo) {
        tls_done = true;
      }
    }
    if (!http_done) {
      std::string alpn;
      Inspected h = inspectHttp(bytes, &alpn);
      if (h == Inspected::kYes) {
        result.alpn = {alpn};
        http_done = true;
      } else if (h == Inspected::kNo) {
        http_done = true;
      }
    }
    if (n >= kMaxInspectedBytes) {
      break;
    }
    want = n + 1;
  }
  co_return result;
}

// What the HTTP connection manager of `chain` needs from the listener (plaintext or after TLS).
ListenerContext httpChainContext(const Snapshot& snapshot, const xds::Listener& listener,
                                 const xds::FilterChain& chain, const AcceptedOn& accepted,
                                 const std::string& original_destination, std::string sni) {
  ListenerContext context;
  context.listener_name = listener.name;
  context.route_config = snapshot.routeConfigIndex(chain.rds_name);
  context.rds_name = chain.rds_name;
  context.generation = snapshot.generation();
  context.local_address = accepted.local_address;
  context.original_destination = original_destination;
  context.sni = std::move(sni);
  return context;
}

// R14.1, R14.6: the chain's TLS handshake, then its network filter over the decrypted stream.
// A failed handshake closes the connection (the client sees the alert); the reason is counted
// as Envoy's listener ssl.* statistics are.
asio::awaitable<void> terminateTls(Worker& worker, tcp::socket socket,
                                   std::shared_ptr<const Snapshot> snapshot,
                                   const xds::Listener& listener, const xds::FilterChain& chain,
                                   const AcceptedOn& accepted, std::string sni,
                                   const std::string& original_destination) {
  ListenerCounters& counters = worker.stats().listenerOf(listener.name);
  error_code ignored;
  std::shared_ptr<ServerTls> tls = snapshot->serverTls(&chain);
  if (!tls) {
    counters.tls_not_served += 1;
    socket.close(ignored);
    co_return;
  }
  TlsStream stream(std::move(socket), tls->context());
  auto handle = worker.registerConnection(&stream.next_layer());  // drain and idle sweep
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kAwait);
  worker.unregisterConnection(handle);
  if (ec) {
    long verify = SSL_get_verify_result(stream.native_handle());
    if (verify == X509_V_ERR_APPLICATION_VERIFICATION) {
      counters.ssl_fail_verify_pin += 1;  // subjectAltNames / SPKI / hash
    } else if (verify != X509_V_OK) {
      counters.ssl_fail_verify_error += 1;
    } else if (ERR_GET_REASON(ec.value()) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
      counters.ssl_fail_verify_no_cert += 1;
    }
    counters.ssl_connection_error += 1;
    stream.next_layer().close(ignored);
    co_return;
  }
  counters.ssl_handshake += 1;
  if (worker.draining()) {
    stream.next_layer().close(ignored);
    co_return;
  }
  if (chain.http) {
    ListenerContext context =
        httpChainContext(*snapshot, listener, chain, accepted, original_destination, std::move(sni));
    co_await serveDownstream(worker, std::move(stream), std::move(context));
    co_return;
  }
  if (chain.tcp_proxy) {
    TcpProxyContext context{listener.name, accepted.local_address, original_destination,
                            std::move(sni)};
    co_await serveTcpProxy(worker, std::move(stream), std::move(snapshot), *chain.tcp_proxy,
                           std::move(context));
    co_return;
  }
  stream.next_layer().close(ignored);
}

}  // namespace

asio::awaitable<void> serveAccepted(Worker& worker, tcp::socket socket, AcceptedOn accepted) {
  std::shared_ptr<const Snapshot> snapshot = worker.snapshot();
  const xds::ProxyConfig& config = snapshot->config();
  const xds::Listener* listener = nullptr;
  std::string original_destination;
  std::string destination_ip;
  uint32_t destination_port = 0;
  error_code ec;
  if (accepted.listener >= 0) {  // a gateway's own listener
    if (static_cast<size_t>(accepted.listener) < config.listeners.size() &&
        config.listeners[accepted.listener].name == accepted.listener_name) {
      listener = &config.listeners[accepted.listener];
    } else {
      listener = snapshot->findListener(accepted.listener_name);  // a reload reordered them
    }
    if (listener != nullptr) {
      destination_port = listener->port;
      tcp::endpoint local = socket.local_endpoint(ec);
      destination_ip = ec ? std::string() : local.address().to_string();
    }
  } else {
    std::optional<tcp::endpoint> dst = originalDestination(socket);
    if (!dst) {  // explicit proxy: the route configuration by the request's authority port
      // (A named context: GCC 12 destroys a temporary aggregate in a co_await twice.)
      ListenerContext context;
      context.listener_name = accepted.listener_name;
      context.local_address = accepted.local_address;
      co_await serveDownstream(worker, std::move(socket), std::move(context));
      co_return;
    }
    // Captured by iptables (ISTIO-SEMANTICS §7.6): virtualOutbound hands the connection to
    // the listener for the original destination, else keeps it for its catch-all chains.
    original_destination = endpointText(*dst);
    destination_ip = dst->address().to_string();
    destination_port = dst->port();
    listener = xds::selectListener(config, destination_ip, destination_port);
    accepted.local_address = original_destination;  // Envoy restores the original local end
  }
  error_code ignored;
  if (listener == nullptr) {
    socket.close(ignored);
    co_return;
  }

  xds::ConnectionFacts facts;
  facts.destination_port = destination_port;
  facts.destination_address = destination_ip;
  Inspection inspection;
  bool want_tls = xds::needsTlsInspection(*listener);
  bool want_http = xds::needsHttpInspection(*listener);
  if (want_tls || want_http) {
    auto handle = worker.registerConnection(&socket);  // idle: a drain closes it at once
    inspection = co_await inspect(worker, socket, want_tls, want_http);
    worker.unregisterConnection(handle);
    if (inspection.timed_out) {
      worker.stats().listenerOf(listener->name).listener_filters_timeout += 1;
    }
    if (inspection.closed || worker.draining()) {
      socket.close(ignored);
      co_return;
    }
  }
  facts.tls = inspection.tls;
  facts.sni = inspection.sni;
  for (const std::string& p : inspection.alpn) {
    facts.alpn.push_back(p);
  }
  xds::FilterChainChoice choice = xds::selectFilterChain(*listener, facts);
  const xds::FilterChain* chain = choice.chain;
  if (chain == nullptr || (chain->terminates_tls && !inspection.tls)) {
    // R14.2, R14.8: no chain takes it (a plaintext client on a TLS-only chain fails its
    // handshake the same way): closed without a byte.
    worker.stats().listenerOf(listener->name).no_filter_chain_match += 1;
    socket.close(ignored);
    co_return;
  }
  if (chain->terminates_tls) {
    co_await terminateTls(worker, std::move(socket), snapshot, *listener, *chain, accepted,
                          std::move(inspection.sni), original_destination);
    co_return;
  }
  if (chain->http) {
    ListenerContext context = httpChainContext(*snapshot, *listener, *chain, accepted,
                                               original_destination, inspection.sni);
    co_await serveDownstream(worker, std::move(socket), std::move(context));
    co_return;
  }
  if (chain->tcp_proxy) {
    TcpProxyContext context{listener->name, accepted.local_address, original_destination,
                            inspection.sni};
    const xds::TcpProxy& proxy = *chain->tcp_proxy;
    co_await serveTcpProxy(worker, std::move(socket), std::move(snapshot), proxy,
                           std::move(context));
    co_return;
  }
  socket.close(ignored);  // a chain without a network filter that forwards
}

}  // namespace meshc::proxy
