// tcp_proxy: cluster and host choice, connect, splice both ways, idle timeout, access log.
#include "proxy/tcp_proxy.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

#include "proxy/access_log.h"
#include "proxy/upstream_connect.h"
#include "proxy/worker.h"
#include "router/route_actions.h"

namespace meshc::proxy {
namespace {

using namespace boost::asio::experimental::awaitable_operators;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
using boost::system::error_code;

constexpr size_t kSpliceChunk = 64 * 1024;
constexpr int kPipeDepth = 1 << 20;  // bytes a splice pipe holds (/proc/sys/fs/pipe-max-size)

// R15.3: Envoy's default when the DestinationRule sets no tcp.idleTimeout.
constexpr std::chrono::nanoseconds kDefaultIdleTimeout = std::chrono::hours(1);

template <typename Downstream>
struct Splice {
  Downstream& downstream;
  tcp::socket& upstream;
  std::chrono::steady_clock::time_point last_activity = coarseNow();
  uint64_t received = 0;  // downstream → upstream
  uint64_t sent = 0;      // upstream → downstream
  bool reset = false;     // an error on either side: both closed (no half-close)
  bool idle_timeout = false;

  void closeBoth() {
    error_code ignored;
    lowestLayer(downstream).shutdown(tcp::socket::shutdown_both, ignored);
    upstream.shutdown(tcp::socket::shutdown_both, ignored);
    lowestLayer(downstream).cancel(ignored);
    upstream.cancel(ignored);
  }

  // One direction: bytes as they come; the reader's EOF becomes a FIN towards the writer
  // (R15.4 half-close), and the other direction goes on.
  template <typename From, typename To>
  asio::awaitable<void> pipe(From& from, To& to, uint64_t& bytes) {
    co_await copy(from, to, bytes);
  }

  // One direction through a user-space buffer (a TLS end, or no pipe for splice).
  template <typename From, typename To>
  asio::awaitable<void> copy(From& from, To& to, uint64_t& bytes) {
    std::unique_ptr<char[]> buffer(new char[kSpliceChunk]);
    for (;;) {
      // Asio's own read, not asyncReadDrained: a short read does not prove the queue empty
      // when the peer's FIN came in the same readiness edge as its last bytes, and here that
      // FIN is the half-close the other side must see (R15.4). The price is one EAGAIN read
      // per burst.
      auto [ec, n] = co_await from.async_read_some(asio::buffer(buffer.get(), kSpliceChunk), kAwait);
      if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
        error_code ignored;
        lowestLayer(to).shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
      if (ec) {
        if (ec != asio::error::operation_aborted) {
          reset = true;
          closeBoth();
        }
        co_return;
      }
      last_activity = coarseNow();
      auto [wec, w] = co_await asio::async_write(to, asio::buffer(buffer.get(), n), kAwait);
      if (wec) {
        if (wec != asio::error::operation_aborted) {
          reset = true;
          closeBoth();
        }
        co_return;
      }
      bytes += n;
      last_activity = coarseNow();
    }
  }

  // Both ends plain sockets: the kernel moves the bytes socket → pipe → socket (splice(2)),
  // never through user space. A splice is tried before every wait, so bytes (or a FIN) that
  // arrived before the wait are never missed; a short splice is followed by another until the
  // socket says EAGAIN, so a FIN behind the last bytes is seen at once (R15.4).
  asio::awaitable<void> pipe(tcp::socket& from, tcp::socket& to, uint64_t& bytes) {
    int fds[2];
    error_code nb;
    from.non_blocking(true, nb);
    to.non_blocking(true, nb);
    if (nb || ::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      co_await copy(from, to, bytes);  // no pipe to spare: the copying path
      co_return;
    }
    struct Fds {
      int r, w;
      ~Fds() {
        ::close(r);
        ::close(w);
      }
    } fd{fds[0], fds[1]};
    // A deeper pipe, fewer splices per megabyte (best effort: the default is 64 KiB).
    size_t chunk = kSpliceChunk;
    int depth = ::fcntl(fd.w, F_SETPIPE_SZ, kPipeDepth);
    if (depth > 0) {
      chunk = static_cast<size_t>(depth);
    }
    auto failed = [&](const error_code& ec) {
      if (ec != asio::error::operation_aborted) {
        reset = true;
        closeBoth();
      }
    };
    for (;;) {
      ssize_t n = ::splice(from.native_handle(), nullptr, fd.w, nullptr, chunk,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n == 0) {
        error_code ignored;
        to.shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (errno != EAGAIN) {
          failed(error_code(errno, asio::error::get_system_category()));
          co_return;
        }
        auto [ec] = co_await from.async_wait(tcp::socket::wait_read, kAwait);
        if (ec) {
          failed(ec);
          co_return;
        }
        continue;
      }
      last_activity = coarseNow();
      size_t left = static_cast<size_t>(n);
      while (left > 0) {
        ssize_t w = ::splice(fd.r, nullptr, to.native_handle(), nullptr, left,
                             SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (w > 0) {
          left -= static_cast<size_t>(w);
          bytes += static_cast<uint64_t>(w);
          last_activity = coarseNow();  // a slow reader is not an idle one (R15.3)
          continue;
        }
        if (w < 0 && errno == EINTR) {
          continue;
        }
        if (w < 0 && errno != EAGAIN) {
          failed(error_code(errno, asio::error::get_system_category()));
          co_return;
        }
        auto [ec] = co_await to.async_wait(tcp::socket::wait_write, kAwait);
        if (ec) {
          failed(ec);
          co_return;
        }
      }
      last_activity = coarseNow();
    }
  }

  // Closes both sides once neither has moved a byte for `idle` (checked a few times per
  // period, on the coarse clock).
  asio::awaitable<void> watchIdle(std::chrono::nanoseconds idle) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto period = std::max<std::chrono::nanoseconds>(idle / 4, std::chrono::milliseconds(10));
    for (;;) {
      timer.expires_after(period);
      auto [ec] = co_await timer.async_wait(kAwait);
      if (ec) {
        co_return;
      }
      if (coarseNow() - last_activity >= idle) {
        idle_timeout = true;
        closeBoth();
        co_return;
      }
    }
  }
};

}  // namespace

template <typename Downstream>
asio::awaitable<void> proxyConnection(Worker& worker, Downstream downstream,
                                      std::shared_ptr<const Snapshot> snapshot,
                                      const xds::TcpProxy& proxy, TcpProxyContext context) {
  const auto started = std::chrono::steady_clock::now();
  AccessLogEntry log;
  log.start = std::chrono::system_clock::now();
  log.method.clear();
  log.protocol.clear();  // R15.5: the HTTP fields print "-"
  log.downstream_local_address = context.local_address;
  log.requested_server_name = context.sni;
  error_code ec;
  tcp::endpoint remote = lowestLayer(downstream).remote_endpoint(ec);
  if (!ec) {
    log.downstream_remote_address = endpointText(remote);
  }
  auto handle = worker.registerConnection(&lowestLayer(downstream));
  handle->idle = false;  // a drain leaves it until the drain timeout (closeAll)
  WorkerStats& stats = worker.stats();
  stats.downstream_cx_total += 1;
  stats.downstream_cx_active += 1;

  std::string flags;
  std::shared_ptr<ClusterState> cluster;
  std::string cluster_name = proxy.cluster;
  if (!proxy.weighted.empty()) {  // R15.2: one choice per connection
    cluster_name = proxy.weighted[router::pickWeightedCluster(proxy.weighted, worker.random()())].name;
  }
  log.upstream_cluster = cluster_name;
  int32_t index = snapshot->clusterIndex(cluster_name);
  if (index >= 0) {
    cluster = worker.pool().cluster(*snapshot, index);
  }
  std::shared_ptr<PooledConnection> upstream;
  UpstreamHost* host = nullptr;
  if (!cluster) {
    flags = "NC";
  } else {
    int32_t host_index = -1;
    if (cluster->original_dst) {  // R11.16: where the client was going
      host_index = cluster->originalDstHost(context.original_destination);
    } else if (cluster->lb) {
      cluster->refreshHealth();
      host_index = cluster->lb->pick(cluster->states, upstream::PickContext{});
    }
    if (host_index < 0 || !cluster->hosts[host_index].resolved) {
      flags = "UH";  // R15.4: no healthy host, closed
    } else {
      host = &cluster->hosts[host_index];
      log.upstream_host = host->address;
    }
  }
  ClusterCounters* counters = cluster ? &stats.clusters[cluster_name] : nullptr;
  if (host != nullptr) {
    ClusterResources* res = cluster->resources.get();
    if (res != nullptr && res->connections.load(std::memory_order_relaxed) >=
                              cluster->limits.max_connections) {
      flags = "UO";  // R12.2: the cluster's connection limit
      counters->upstream_cx_overflow += 1;
    } else {
      upstream = std::make_shared<PooledConnection>(worker.io(), cluster->resources);
      handle->upstream = &upstream->socket;
      host->active += 1;
      std::optional<AttemptFailure> failure =
          co_await connectUpstream(worker, *cluster, *host, *counters, upstream->socket);
      // R12.5 without split local-origin errors: a connect failure counts as a 503, a
      // connection made as a success.
      if (cluster->resources && cluster->resources->outlier.enabled()) {
        cluster->resources->outlier.record(host->address, OutlierResult{failure ? 503u : 200u},
                                           std::chrono::steady_clock::now());
      }
      if (failure) {
        flags = "UF";  // R15.4: one attempt; the downstream is closed without data
        log.upstream_transport_failure_reason = failure->transport;
        host->active -= 1;
        host->wakeWaiter();
        handle->upstream = nullptr;
        upstream.reset();
      }
    }
  }
  TcpKey opened_key{context.listener_name, cluster ? cluster_name : "-", "-"};
  stats.tcp[opened_key].opened += 1;
  uint64_t received = 0;
  uint64_t sent = 0;
  bool idle_timeout = false;
  if (upstream) {
    tcp::endpoint local = upstream->socket.local_endpoint(ec);
    if (!ec) {
      log.upstream_local_address = endpointText(local);
    }
    Splice<Downstream> splice{downstream, upstream->socket};
    std::chrono::nanoseconds idle = kDefaultIdleTimeout;
    if (proxy.idle_timeout_ns) {
      idle = std::chrono::nanoseconds(*proxy.idle_timeout_ns);
    }
    if (idle.count() > 0) {
      co_await ((splice.pipe(downstream, upstream->socket, splice.received) &&
                 splice.pipe(upstream->socket, downstream, splice.sent)) ||
                splice.watchIdle(idle));
    } else {
      co_await (splice.pipe(downstream, upstream->socket, splice.received) &&
                splice.pipe(upstream->socket, downstream, splice.sent));
    }
    received = splice.received;
    sent = splice.sent;
    idle_timeout = splice.idle_timeout;
    handle->upstream = nullptr;
    error_code ignored;
    upstream->socket.close(ignored);
    stats.upstream_cx_active -= 1;
    host->active -= 1;
    host->wakeWaiter();
  }
  error_code ignored;
  lowestLayer(downstream).close(ignored);
  worker.unregisterConnection(handle);
  stats.downstream_cx_active -= 1;

  if (flags.empty()) {
    flags = "-";
  }
  TcpCounters& closed = stats.tcp[TcpKey{context.listener_name, cluster ? cluster_name : "-", flags}];
  closed.closed += 1;
  closed.received_bytes += received;
  closed.sent_bytes += sent;
  closed.idle_timeouts += idle_timeout ? 1 : 0;
  if (worker.accessLog().enabled()) {  // R15.5: one line when the connection closes
    log.response_flags = flags;
    log.bytes_received = received;
    log.bytes_sent = sent;
    log.duration_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - started)
                                                .count());
    worker.accessLog().append(log);
  }
}

asio::awaitable<void> serveTcpProxy(Worker& worker, tcp::socket downstream,
                                    std::shared_ptr<const Snapshot> snapshot,
                                    const xds::TcpProxy& proxy, TcpProxyContext context) {
  co_await proxyConnection(worker, std::move(downstream), std::move(snapshot), proxy,
                           std::move(context));
}

asio::awaitable<void> serveTcpProxy(Worker& worker, TlsStream downstream,
                                    std::shared_ptr<const Snapshot> snapshot,
                                    const xds::TcpProxy& proxy, TcpProxyContext context) {
  co_await proxyConnection(worker, std::move(downstream), std::move(snapshot), proxy,
                           std::move(context));
}

}  // namespace meshc::proxy
