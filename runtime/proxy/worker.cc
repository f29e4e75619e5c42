// Worker: an io_context on its own thread with SO_REUSEPORT acceptors, connection tracking for
// drain and idle timeouts, the per-worker upstream pool, counters and access log.
#include "proxy/worker.h"

#include <charconv>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <sys/socket.h>

#include "proxy/connection.h"
#include "proxy/connection_manager.h"
#include "proxy/drained_read.h"
#include "proxy/listener.h"
#include "proxy/server.h"
#include "routing/request.h"

namespace meshc::proxy {
namespace {

// "0.0.0.0" / "::" / "127.0.0.1" → address; false when unparsable.
bool parseAddress(const std::string& text, asio::ip::address* out) {
  boost::system::error_code ec;
  *out = asio::ip::make_address(text, ec);
  return !ec;
}


}  // namespace

size_t UpstreamPool::rebuild(const Snapshot& snapshot, asio::io_context& io, uint64_t seed,
                           const DnsTable* dns, ClusterResourceRegistry* registry) {
  // Keep the keep-alive connections of endpoints that survive the reload (R16.3: EDS updates
  // apply at the next host selection; existing connections are not reset by an update).
  std::unordered_map<std::string, std::vector<PooledConnectionPtr>> kept;
  for (const std::shared_ptr<ClusterState>& c : clusters_) {
    for (UpstreamHost& h : c->hosts) {
      auto& list = kept[c->name + "\n" + h.address];
      for (PooledConnectionPtr& s : h.idle) {
        list.push_back(std::move(s));
      }
      h.idle.clear();
    }
  }
  std::vector<std::shared_ptr<ClusterState>> fresh;
  std::unordered_map<std::string, size_t> by_name;
  std::chrono::nanoseconds shortest = std::chrono::hours(1);
  const std::vector<xds::Cluster>& clusters = snapshot.config().clusters;
  fresh.reserve(clusters.size());
  for (size_t i = 0; i < clusters.size(); ++i) {
    const xds::Cluster& cluster = clusters[i];
    auto state = std::make_shared<ClusterState>();
    state->name = cluster.name;
    state->lb_policy = cluster.lb_policy;
    auto add_host = [&](const xds::Endpoint& e, const std::string& ip) {
      UpstreamHost host;
      host.address = ip + ":" + std::to_string(e.port);
      asio::ip::address addr;
      if (parseAddress(ip, &addr)) {
        host.endpoint = tcp::endpoint(addr, static_cast<unsigned short>(e.port));
        host.resolved = true;
      }
      auto it = kept.find(cluster.name + "\n" + host.address);
      if (it != kept.end()) {
        host.idle = std::move(it->second);
        kept.erase(it);
      }
      upstream::HostState hs;
      hs.weight = e.weight == 0 ? 1 : e.weight;
      state->hosts.push_back(std::move(host));
      // The ring/table key lives in the host: a deque never moves its elements.
      hs.key = state->hosts.back().address;
      state->states.push_back(hs);
    };
    for (const xds::Endpoint& e : cluster.endpoints) {
      if (isIpLiteral(e.address)) {
        add_host(e, e.address);
        continue;
      }
      if (dns == nullptr || !dns->contains(e.address)) {
        continue;  // a name without an answer is no host at all (Envoy lists none: 503 UH)
      }
      for (const std::string& ip : dns->at(e.address)) {  // STRICT_DNS: a host per address
        add_host(e, ip);
      }
    }
    state->original_dst = cluster.type == xds::Cluster::DiscoveryType::kOriginalDst;
    state->lb = upstream::createLoadBalancer(cluster.lb_policy, state->states, seed + i, &cluster);
    state->limits = cluster.circuit_breakers;
    state->max_requests_per_connection = cluster.max_requests_per_connection;
    if (cluster.idle_timeout_ns && *cluster.idle_timeout_ns > 0) {
      state->idle_timeout = std::chrono::nanoseconds(*cluster.idle_timeout_ns);
    }
    shortest = std::min(shortest, state->idle_timeout);
    if (cluster.connect_timeout_ns && *cluster.connect_timeout_ns > 0) {
      state->connect_timeout = std::chrono::nanoseconds(*cluster.connect_timeout_ns);
    }
    if (registry != nullptr) {
      state->resources = registry->get(cluster.name);
      std::vector<std::string> addresses;
      addresses.reserve(state->hosts.size());
      for (const UpstreamHost& h : state->hosts) {
        addresses.push_back(h.address);
      }
      state->resources->outlier.configure(cluster.outlier_detection, addresses,
                                          std::chrono::steady_clock::now());
    }
    by_name.emplace(cluster.name, fresh.size());
    fresh.push_back(std::move(state));
  }
  (void)io;
  for (const std::shared_ptr<ClusterState>& old : clusters_) {
    old->retired = true;
  }
  clusters_ = std::move(fresh);
  by_name_ = std::move(by_name);
  shortest_idle_timeout_ = shortest;
  generation_ = snapshot.generation();
  // Connections of endpoints that went away close now.
  size_t closed = 0;
  for (auto& [key, list] : kept) {
    for (PooledConnectionPtr& s : list) {
      s->close();
      ++closed;
    }
  }
  return closed;
}

void ClusterState::refreshHealth() {
  if (!resources || !resources->outlier.enabled()) {
    return;
  }
  resources->outlier.sweepIfDue(std::chrono::steady_clock::now());
  uint64_t epoch = resources->outlier.epoch();
  if (epoch == health_epoch) {
    return;
  }
  health_epoch = epoch;
  for (size_t i = 0; i < states.size() && i < hosts.size(); ++i) {
    states[i].healthy = !resources->outlier.ejected(hosts[i].address);
  }
}

size_t UpstreamPool::closeExpired(std::chrono::steady_clock::time_point now) {
  size_t closed = 0;
  for (const std::shared_ptr<ClusterState>& c : clusters_) {
    for (UpstreamHost& h : c->hosts) {
      size_t before = h.idle.size();
      std::erase_if(h.idle, [&](const PooledConnectionPtr& conn) {
        if (conn->socket.is_open() && now - conn->parked_at < c->idle_timeout) {
          return false;
        }
        conn->close();
        return true;
      });
      closed += before - h.idle.size();
      if (before != h.idle.size()) {
        h.wakeWaiter();
      }
    }
  }
  return closed;
}

int32_t ClusterState::originalDstHost(std::string_view destination) {
  auto it = original_dst_hosts.find(std::string(destination));
  if (it != original_dst_hosts.end()) {
    return static_cast<int32_t>(it->second);
  }
  size_t colon = ir::portStart(destination);
  if (colon == std::string_view::npos || colon + 1 == destination.size()) {
    return -1;
  }
  std::string_view host = destination.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  uint32_t port = 0;
  std::string_view digits = destination.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  asio::ip::address addr;
  if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535 ||
      !parseAddress(std::string(host), &addr) || original_dst_hosts.size() >= kMaxOriginalDstHosts) {
    return -1;
  }
  UpstreamHost h;
  h.endpoint = tcp::endpoint(addr, static_cast<unsigned short>(port));
  h.address = std::string(destination);
  h.resolved = true;
  hosts.push_back(std::move(h));
  original_dst_hosts.emplace(std::string(destination), hosts.size() - 1);
  return static_cast<int32_t>(hosts.size() - 1);
}

std::shared_ptr<ClusterState> UpstreamPool::cluster(const Snapshot& snapshot, int32_t index) {
  if (snapshot.generation() == generation_) {
    if (index < 0 || static_cast<size_t>(index) >= clusters_.size()) {
      return nullptr;
    }
    return clusters_[index];
  }
  const xds::Cluster& c = snapshot.config().clusters[index];
  auto it = by_name_.find(c.name);
  return it == by_name_.end() ? nullptr : clusters_[it->second];
}

size_t UpstreamPool::closeIdle() {
  size_t closed = 0;
  for (const std::shared_ptr<ClusterState>& c : clusters_) {
    for (UpstreamHost& h : c->hosts) {
      for (PooledConnectionPtr& s : h.idle) {
        s->close();
      }
      closed += h.idle.size();  // each still counted active (a watch that closed one does not)
      h.idle.clear();
    }
  }
  return closed;
}

void PooledConnection::park() {
  parked_ = true;
  parked_at = coarseNow();
  uint64_t generation = ++generation_;
  asyncPeekByte(socket, &byte_, [self = shared_from_this(), generation](
                                    boost::system::error_code ec, size_t) {
    if (ec == asio::error::operation_aborted || !self->parked_ ||
        generation != self->generation_) {
      return;  // taken for a request (or closed) before the upstream did anything
    }
    self->close();  // EOF, a reset or bytes nobody asked for: never reuse it
  });
}

bool PooledConnection::take() {
  parked_ = false;
  if (!socket.is_open()) {
    return false;
  }
  boost::system::error_code ec;
  socket.cancel(ec);
  return !ec;
}

void PooledConnection::close() {
  parked_ = false;
  boost::system::error_code ignored;
  socket.close(ignored);
}

Worker::Worker(Server& server, uint32_t index, const WorkerSettings& settings)
    : server_(server),
      index_(index),
      settings_(settings),
      io_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),  // sockets are used on this thread only
      flush_timer_(io_),
      random_(std::random_device{}() ^ (uint64_t{index} << 32)),
      sweep_timer_(io_) {}

Worker::~Worker() {
  join();
  // Coroutines still suspended (a drain that timed out) use this worker's members when they
  // end: close what they wait on and let them finish now, before those members are destroyed.
  asio::post(io_, [this] {
    closeAll();
    for (Acceptor& a : acceptors_) {
      boost::system::error_code ignored;
      a.acceptor->close(ignored);
    }
  });
  io_.restart();
  io_.run_for(std::chrono::seconds(2));
}

std::string Worker::bind(const Snapshot& snapshot) {
  std::vector<std::tuple<std::string, uint32_t, std::string, int32_t>> wanted;
  if (snapshot.isGateway()) {
    for (const ListenerPlan& plan : snapshot.gatewayListeners()) {
      wanted.emplace_back(settings_.listen_address, plan.port, plan.name, plan.listener);
    }
  } else {
    std::string text = settings_.sidecar_listen;
    size_t colon = text.rfind(':');
    std::string host = text.substr(0, colon);
    uint32_t port = static_cast<uint32_t>(std::stoul(text.substr(colon + 1)));
    wanted.emplace_back(host, port, "outbound_proxy", -1);
  }
  for (auto& [host, port, name, rc] : wanted) {
    asio::ip::address addr;
    if (!parseAddress(host, &addr)) {
      return "cannot listen on " + host + ": not an IP address";
    }
    tcp::endpoint ep(addr, static_cast<unsigned short>(port));
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    boost::system::error_code ec;
    acceptor->open(ep.protocol(), ec);
    if (!ec) {
      acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
      int one = 1;
      ::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
      acceptor->bind(ep, ec);
    }
    if (!ec) {
      acceptor->listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return "cannot listen on " + host + ":" + std::to_string(port) + " (" + name +
             "): " + ec.message();
    }
    Acceptor a;
    a.local_address = host + ":" + std::to_string(port);
    a.acceptor = std::move(acceptor);
    a.listener_name = name;
    a.listener = rc;
    acceptors_.push_back(std::move(a));
  }
  return {};
}

void Worker::start() {
  access_log_.open(settings_.access_log_path);
  for (Acceptor& a : acceptors_) {
    accept(a);
  }
  scheduleFlush();
  scheduleSweep();
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Worker::accept(Acceptor& a) {
  a.acceptor->async_accept([this, &a](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !a.acceptor->is_open()) {
      return;
    }
    if (!ec) {
      if (settings_.max_connections != 0 &&
          active_connections_.load() >= settings_.max_connections) {
        boost::system::error_code ignored;
        socket.close(ignored);  // over the cap: refused at once, as Envoy's overload manager
      } else {
        asio::co_spawn(io_,
                       serveAccepted(*this, std::move(socket),
                                     AcceptedOn{a.listener_name, a.listener, a.local_address}),
                       asio::detached);
      }
    }
    accept(a);
  });
}

void Worker::installSnapshot(std::shared_ptr<const Snapshot> snapshot) {
  snapshot_ = std::move(snapshot);
  stats_.upstream_cx_active -= pool_.rebuild(*snapshot_, io_, random_(), dns_.get(), &server_.clusterResources());
}

void Worker::installDns(std::shared_ptr<const DnsTable> dns) {
  dns_ = std::move(dns);
  if (snapshot_) {
    stats_.upstream_cx_active -= pool_.rebuild(*snapshot_, io_, random_(), dns_.get(), &server_.clusterResources());
  }
}

void Worker::beginDrain() {
  draining_ = true;
  for (Acceptor& a : acceptors_) {
    boost::system::error_code ignored;
    a.acceptor->close(ignored);
  }
  for (ConnectionHandle& c : connections_) {
    if (c.idle) {
      boost::system::error_code ignored;
      c.socket->cancel(ignored);
      c.socket->shutdown(tcp::socket::shutdown_both, ignored);
    }
  }
  stats_.upstream_cx_active -= pool_.closeIdle();
}

void Worker::closeAll() {
  closing_ = true;
  for (tcp::socket* s : mirrors_) {
    boost::system::error_code ignored;
    s->cancel(ignored);
    s->shutdown(tcp::socket::shutdown_both, ignored);
  }
  for (ConnectionHandle& c : connections_) {
    boost::system::error_code ignored;
    c.socket->cancel(ignored);
    c.socket->shutdown(tcp::socket::shutdown_both, ignored);
    if (c.delay_timer != nullptr) {
      c.delay_timer->cancel();
    }
    if (c.upstream != nullptr) {  // the request in flight stops waiting for its upstream
      c.upstream->cancel(ignored);
      c.upstream->shutdown(tcp::socket::shutdown_both, ignored);
    }
  }
  stats_.upstream_cx_active -= pool_.closeIdle();
  access_log_.flush();
  flush_timer_.cancel();
  sweep_timer_.cancel();
}

WorkerStats Worker::collectStats() {
  std::promise<WorkerStats> done;
  std::future<WorkerStats> result = done.get_future();
  asio::post(io_, [this, &done] { done.set_value(stats_); });
  if (result.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
    return WorkerStats{};  // the worker is stuck or gone; report what is known (nothing)
  }
  return result.get();
}

std::string Worker::collectClusters() {
  std::promise<std::string> done;
  std::future<std::string> result = done.get_future();
  asio::post(io_, [this, &done] {
    std::string out;
    for (const std::shared_ptr<ClusterState>& c : pool_.clusters()) {
      for (const UpstreamHost& h : c->hosts) {
        std::string prefix = c->name + "::" + h.address + "::";
        out += prefix + "rq_total::" + std::to_string(h.rq_total) + "\n";
        out += prefix + "rq_success::" + std::to_string(h.rq_success) + "\n";
        out += prefix + "rq_error::" + std::to_string(h.rq_error) + "\n";
        out += prefix + "cx_total::" + std::to_string(h.cx_total) + "\n";
        out += prefix + "cx_connect_fail::" + std::to_string(h.cx_connect_fail) + "\n";
        size_t idle = 0;
        for (const PooledConnectionPtr& c : h.idle) {
          idle += c->socket.is_open() ? 1 : 0;  // not those the upstream closed meanwhile
        }
        out += prefix + "cx_idle::" + std::to_string(idle) + "\n";
        bool ejected = c->resources && c->resources->outlier.enabled() &&
                       c->resources->outlier.ejected(h.address);
        out += prefix + "health_flags::" + (ejected ? "/failed_outlier_check" : "healthy") + "\n";
      }
    }
    done.set_value(std::move(out));
  });
  if (result.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
    return {};
  }
  return result.get();
}

const std::string& Worker::date() {
  auto now = coarseNow();
  if (date_.empty() || now - date_at_ >= std::chrono::milliseconds(500)) {
    date_ = httpDate(std::time(nullptr));
    date_at_ = now;
  }
  return date_;
}

boost::beast::flat_buffer Worker::takeBuffer() {
  if (spare_buffers_.empty()) {
    return boost::beast::flat_buffer();
  }
  boost::beast::flat_buffer b = std::move(spare_buffers_.back());
  spare_buffers_.pop_back();
  return b;
}

void Worker::returnBuffer(boost::beast::flat_buffer&& buffer) {
  constexpr size_t kMaxSpare = 256;  // enough for the requests in flight on one loop
  buffer.consume(buffer.size());
  if (buffer.capacity() > 0 && buffer.capacity() <= 64 * 1024 && spare_buffers_.size() < kMaxSpare) {
    spare_buffers_.push_back(std::move(buffer));
  }
  buffer = boost::beast::flat_buffer();
}

std::list<Worker::ConnectionHandle>::iterator Worker::registerConnection(tcp::socket* socket) {
  active_connections_.fetch_add(1, std::memory_order_relaxed);
  ConnectionHandle handle;
  handle.socket = socket;
  handle.since = std::chrono::steady_clock::now();
  connections_.push_front(handle);
  return connections_.begin();
}

void Worker::unregisterConnection(std::list<ConnectionHandle>::iterator it) {
  connections_.erase(it);
  active_connections_.fetch_sub(1, std::memory_order_relaxed);
}

void Worker::scheduleFlush() {
  flush_timer_.expires_after(std::chrono::milliseconds(100));
  flush_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) {
      return;
    }
    access_log_.flush();
    scheduleFlush();
  });
}

// Idle connections (R1.24) and, when configured, slow request heads (R1.23) are found by a
// once-a-second sweep rather than a timer per request: no timer work on the request path.
void Worker::scheduleSweep() {
  // A quarter of the shortest timeout (at most 1 s), so a timeout fires within 25% of its value.
  auto period = std::chrono::milliseconds(1000);
  auto upstream_idle =
      std::chrono::duration_cast<std::chrono::milliseconds>(pool_.shortestIdleTimeout());
  for (std::chrono::milliseconds t :
       {settings_.idle_timeout, settings_.request_headers_timeout, upstream_idle}) {
    if (t.count() > 0) {
      period = std::min(period, std::max(std::chrono::milliseconds(10), t / 4));
    }
  }
  sweep_timer_.expires_after(period);
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) {
      return;
    }
    auto now = std::chrono::steady_clock::now();
    stats_.upstream_cx_active -= pool_.closeExpired(now);  // R12.1 upstream idle timeout
    for (ConnectionHandle& c : connections_) {
      bool expired = false;
      if (c.idle && settings_.idle_timeout.count() > 0) {
        expired = now - c.since >= settings_.idle_timeout;  // R1.24: closed silently
      }
      if (!c.idle && c.reading_headers && settings_.request_headers_timeout.count() > 0 &&
          now - c.since >= settings_.request_headers_timeout) {
        c.headers_timed_out = true;  // R1.23: the connection answers 408 and closes
        boost::system::error_code ignored;
        c.socket->cancel(ignored);
        continue;
      }
      if (expired) {
        boost::system::error_code ignored;
        c.socket->cancel(ignored);
        c.socket->shutdown(tcp::socket::shutdown_both, ignored);
      }
    }
    scheduleSweep();
  });
}

}  // namespace meshc::proxy
