// One event loop on one thread: its own acceptors (SO_REUSEPORT), connections, upstream pools,
// counters and access log — nothing shared with other workers on the request path (DESIGN.md §1).
// Entry points: Worker, UpstreamPool.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <functional>
#include <deque>
#include <list>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <atomic>
#include <vector>

#include "proxy/access_log.h"
#include "proxy/cluster_resources.h"
#include "proxy/dns.h"
#include "proxy/snapshot.h"
#include "proxy/stats.h"
#include "upstream/load_balancer.h"

namespace meshc::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// CLOCK_MONOTONIC as of the last timer tick (a few ms old), on steady_clock's time line: for
/// the date cache and the pool's idle stamps (an upstream idle timeout may then end up to a
/// tick early, which no client sees), where a precise read per request (a TSC read, in some
/// VMs a trap) buys nothing. Client-facing timeouts (R1.23, R1.24) keep precise stamps: a
/// stamp a tick old would fire them early.
inline std::chrono::steady_clock::time_point coarseNow() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

/// Flags and limits every worker applies.
struct WorkerSettings {
  std::string listen_address = "0.0.0.0";
  std::string sidecar_listen = "127.0.0.1:15001";
  std::string access_log_path;
  std::string node_ip;  // appended to XFF for loopback peers on gateways (R2.4)
  std::chrono::milliseconds connect_timeout{10'000};     // R6.8 mesh default
  std::chrono::milliseconds idle_timeout{3'600'000};     // R1.24: 1 h without a request
  std::chrono::milliseconds request_headers_timeout{0};  // R1.22: Istio sets none (0 = off)
  uint64_t max_connections = 0;                          // 0 = unlimited (per worker)
};

/// A keep-alive upstream connection (R13.4). While it waits in a host's pool a one-byte
/// MSG_PEEK read stays pending on it, so the upstream closing it (or sending stray bytes) is
/// seen when it happens and the connection is closed, as Envoy keeps reads enabled on idle
/// connections. The watch costs no syscall per request: the reactor queues it until the socket
/// turns readable (drained_read.h), and taking the connection back cancels it without one.
class PooledConnection : public std::enable_shared_from_this<PooledConnection> {
 public:
  /// A new connection of a cluster: counted in the cluster's shared `connections` (R12.1)
  /// from now until it is destroyed.
  PooledConnection(asio::io_context& io, std::shared_ptr<ClusterResources> resources)
      : socket(io), resources_(std::move(resources)) {
    if (resources_) {
      resources_->connections.fetch_add(1, std::memory_order_relaxed);
    }
  }
  ~PooledConnection() {
    if (resources_) {
      resources_->connections.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;
  tcp::socket socket;
  uint32_t requests = 0;  // requests it carried (maxRequestsPerConnection, R12.1)
  std::chrono::steady_clock::time_point parked_at{};  // for the upstream idle timeout
  /// Into the pool: start watching for the upstream closing the connection.
  void park();
  /// Out of the pool for a request: false when the upstream closed it meanwhile (the socket
  /// is closed then).
  bool take();
  /// Close now (pool cleared: drain, shutdown); the pending watch ends with it.
  void close();

 private:
  std::shared_ptr<ClusterResources> resources_;
  char byte_ = 0;            // where the watch peeks
  uint64_t generation_ = 0;  // which park() a completing watch belongs to
  bool parked_ = false;
};
using PooledConnectionPtr = std::shared_ptr<PooledConnection>;

/// One endpoint of one cluster in this worker.
struct UpstreamHost {
  tcp::endpoint endpoint;
  std::string address;  // "ip:port" (UPSTREAM_HOST, /clusters)
  bool resolved = false;
  std::vector<PooledConnectionPtr> idle;  // keep-alive connections ready for reuse (R13.4)
  uint32_t active = 0;  // this worker's connections to it in use or connecting (R12.2)
  /// Requests of this worker waiting for a connection to this host (R12.2), woken in order
  /// when one is released.
  std::deque<asio::steady_timer*> waiters;
  /// Wakes the longest-waiting request, if any: a connection was parked or closed.
  void wakeWaiter() {
    if (!waiters.empty()) {
      waiters.front()->cancel();
      waiters.pop_front();
    }
  }
  uint64_t rq_total = 0, rq_success = 0, rq_error = 0, cx_total = 0, cx_connect_fail = 0;
};

/// A cluster's endpoints and balancer in this worker.
struct ClusterState {
  std::string name;
  std::string lb_policy;
  /// The cluster's endpoints, then (ORIGINAL_DST clusters) hosts added per destination; a
  /// deque so that a request holding a host keeps it while others are added.
  std::deque<UpstreamHost> hosts;
  std::vector<upstream::HostState> states;  // parallel to the endpoints, read by the balancer
  std::unique_ptr<upstream::LoadBalancer> lb;
  bool original_dst = false;  // PassthroughCluster: the host is the request's destination
  /// Shared with every worker (R12): circuit-breaker counters and the outlier detector.
  std::shared_ptr<ClusterResources> resources;
  xds::CircuitBreakers limits;
  uint32_t max_requests_per_connection = 0;          // 0 = unlimited
  std::chrono::nanoseconds idle_timeout{std::chrono::hours(1)};  // upstream connections
  std::optional<std::chrono::nanoseconds> connect_timeout;       // nullopt: --connect-timeout
  uint64_t health_epoch = UINT64_MAX;  // the detector epoch `states` reflects
  /// Replaced by a reload: requests still holding it close their connections instead of
  /// parking them where nobody would take them again.
  bool retired = false;
  /// R12.6: before a pick, the detector's sweep if due, and host health as it stands (nothing
  /// to do, and no clock read, without outlier detection).
  void refreshHealth();
  std::unordered_map<std::string, size_t> original_dst_hosts;  // "ip:port" → index in hosts

  /// ORIGINAL_DST (R11.16): the host for `destination` ("ip:port", IPv6 in brackets), added on
  /// first use (at most kMaxOriginalDstHosts); -1 when it is not an IP literal with a port.
  int32_t originalDstHost(std::string_view destination);
  static constexpr size_t kMaxOriginalDstHosts = 1024;
};

/// Per-worker upstream state, rebuilt (keeping live keep-alive connections of unchanged
/// endpoints) when a new snapshot arrives.
class UpstreamPool {
 public:
  /// `dns` answers the host names of STRICT_DNS endpoints (one host per address); a name it
  /// lacks gives an unresolved host (never picked: 503 UH).
  /// Returns how many pooled connections it closed (those of endpoints that went away).
  size_t rebuild(const Snapshot& snapshot, asio::io_context& io, uint64_t seed,
                 const DnsTable* dns, ClusterResourceRegistry* registry = nullptr);
  /// The state of cluster `index` of `snapshot` (by name when the pool was built from another
  /// snapshot generation); null when this pool has no such cluster.
  std::shared_ptr<ClusterState> cluster(const Snapshot& snapshot, int32_t index);
  const std::vector<std::shared_ptr<ClusterState>>& clusters() const { return clusters_; }
  /// Closes every pooled connection; returns how many.
  size_t closeIdle();
  /// Closes pooled connections idle for longer than their cluster's idle timeout (R12.1);
  /// returns how many.
  size_t closeExpired(std::chrono::steady_clock::time_point now);
  /// The shortest upstream idle timeout of the current clusters (the sweep's period).
  std::chrono::nanoseconds shortestIdleTimeout() const { return shortest_idle_timeout_; }

 private:
  std::vector<std::shared_ptr<ClusterState>> clusters_;
  std::unordered_map<std::string, size_t> by_name_;
  uint64_t generation_ = 0;
  std::chrono::nanoseconds shortest_idle_timeout_{std::chrono::hours(1)};
};

class Server;

class Worker {
 public:
  Worker(Server& server, uint32_t index, const WorkerSettings& settings);
  ~Worker();
  asio::io_context& io() { return io_; }
  uint32_t index() const { return index_; }
  const WorkerSettings& settings() const { return settings_; }

  /// Binds this worker's acceptors (SO_REUSEPORT) for the snapshot's listeners. Called on the
  /// main thread before start(); returns an error text naming the address on failure.
  std::string bind(const Snapshot& snapshot);
  void start();
  void join();

  /// Runs on the worker thread: swap in a new snapshot (requests in flight keep theirs).
  void installSnapshot(std::shared_ptr<const Snapshot> snapshot);
  /// Runs on the worker thread: new DNS answers; hosts are rebuilt, keep-alive connections of
  /// addresses that stay are kept.
  void installDns(std::shared_ptr<const DnsTable> dns);
  /// Runs on the worker thread: stop accepting, close idle keep-alive connections, mark every
  /// further response `connection: close` (R16.2).
  void beginDrain();
  /// Runs on the worker thread: close every remaining connection (drain timeout expired).
  void closeAll();
  /// Thread-safe: a copy of the counters, taken on the worker thread.
  WorkerStats collectStats();
  /// Thread-safe: "/clusters" lines for this worker's hosts.
  std::string collectClusters();
  size_t activeConnections() const { return active_connections_.load(); }
  /// Set by closeAll(): no more retries or waits; requests finish as they can.
  bool closing() const { return closing_; }
  /// The upstream sockets of mirrored copies (fire and forget), so that closeAll() reaches
  /// them too.
  std::list<tcp::socket*>::iterator registerMirror(tcp::socket* socket) {
    return mirrors_.insert(mirrors_.end(), socket);
  }
  void unregisterMirror(std::list<tcp::socket*>::iterator it) { mirrors_.erase(it); }

  // Used by connections (worker thread only).
  const std::shared_ptr<const Snapshot>& snapshot() const { return snapshot_; }
  UpstreamPool& pool() { return pool_; }
  WorkerStats& stats() { return stats_; }
  AccessLogWriter& accessLog() { return access_log_; }
  std::mt19937_64& random() { return random_; }
  bool draining() const { return draining_; }
  const std::string& date();  // cached RFC 1123 date, refreshed every 500 ms (R1.21)
  /// Read buffers are pooled per worker: connections hold one only while a request is in
  /// flight, so idle keep-alive connections cost no buffer and requests allocate none.
  boost::beast::flat_buffer takeBuffer();
  void returnBuffer(boost::beast::flat_buffer&& buffer);
  struct ConnectionHandle {
    tcp::socket* socket = nullptr;
    bool idle = true;  // between requests (no byte of the next one yet): closed at once on drain
    tcp::socket* upstream = nullptr;  // the upstream connection of the request in flight
    bool reading_headers = false;  // a request's first byte arrived, its head is not complete
    bool headers_timed_out = false;  // set by the sweep before it cancels the socket
    asio::steady_timer* delay_timer = nullptr;  // a fault delay (R8.4) holding the request
    std::chrono::steady_clock::time_point since{};  // when the idle or header-reading phase began
  };
  std::list<ConnectionHandle>::iterator registerConnection(tcp::socket* socket);
  void unregisterConnection(std::list<ConnectionHandle>::iterator it);

 private:
  struct Acceptor {
    std::unique_ptr<tcp::acceptor> acceptor;
    std::string listener_name;
    int32_t listener = -1;  // gateways: index into the bundle's listeners; -1: sidecar 15001
    std::string local_address;
  };
  void accept(Acceptor& acceptor);

  Server& server_;
  uint32_t index_;
  WorkerSettings settings_;
  asio::io_context io_;
  std::thread thread_;
  std::vector<Acceptor> acceptors_;
  std::shared_ptr<const Snapshot> snapshot_;
  UpstreamPool pool_;
  std::shared_ptr<const DnsTable> dns_ = std::make_shared<DnsTable>();
  WorkerStats stats_;
  AccessLogWriter access_log_;
  asio::steady_timer flush_timer_;
  bool closing_ = false;
  std::list<tcp::socket*> mirrors_;
  std::mt19937_64 random_;
  bool draining_ = false;
  std::list<ConnectionHandle> connections_;
  std::atomic<size_t> active_connections_{0};
  std::vector<boost::beast::flat_buffer> spare_buffers_;
  std::string date_;
  std::chrono::steady_clock::time_point date_at_{};
  void scheduleFlush();
  void scheduleSweep();
  asio::steady_timer sweep_timer_;
};

}  // namespace meshc::proxy
