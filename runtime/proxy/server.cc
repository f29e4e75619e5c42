// Server: workers, admin endpoints, reload (SIGHUP, --watch) and drain (SIGTERM).
#include "proxy/server.h"

#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

#include "bundle/format.h"
#include "native/native_router.h"

namespace meshc::proxy {
namespace {

// The control plane's threads (signals and --watch, the admin port, so every reload) run below
// the workers: reading and verifying a 10,000-route bundle takes tens of milliseconds of CPU,
// and with as many busy workers as cores it would take them from the requests in flight
// (bench reload-10k). Best effort: a refusal leaves the thread as it was.
void lowerThisThreadsPriority() {
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
}

int levelRank(std::string_view level) {
  if (level == "debug") {
    return 0;
  }
  if (level == "info") {
    return 1;
  }
  if (level == "warning") {
    return 2;
  }
  return 3;
}

// The bundle file's identity: --watch reloads when a rename replaces it (new inode) or it is
// rewritten in place (new mtime or size).
struct FileId {
  ino_t inode = 0;
  int64_t mtime_ns = 0;
  off_t size = 0;
  bool operator==(const FileId&) const = default;
};

FileId fileId(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return {};
  }
  return FileId{st.st_ino, int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec,
                st.st_size};
}

}  // namespace

struct Server::Admin {
  asio::io_context io{1};
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;
};

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() {
  if (admin_) {
    admin_->io.stop();
    if (admin_->thread.joinable()) {
      admin_->thread.join();
    }
  }
}

void Server::log(std::string_view level, std::string_view message) {
  if (levelRank(level) < levelRank(options_.log_level)) {
    return;
  }
  std::string line = "meshproxy: " + std::string(level) + ": " + std::string(message) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

// The host names of every cluster endpoint that is not an IP literal (STRICT_DNS clusters).
static std::set<std::string> dnsNames(const Snapshot& snapshot) {
  std::set<std::string> names;
  for (const xds::Cluster& c : snapshot.config().clusters) {
    for (const xds::Endpoint& e : c.endpoints) {
      if (!e.address.empty() && !isIpLiteral(e.address)) {
        names.insert(e.address);
      }
    }
  }
  return names;
}

std::string Server::reload() {
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  std::string warning;
  Expected<std::shared_ptr<const Snapshot>> next =
      Snapshot::load(options_.bundle_path, options_.endpoints_path, &warning,
                     options_.credentials_dir, snapshot_.get());
  if (!next) {
    std::lock_guard<std::mutex> stats_lock(stats_mutex_);
    server_stats_.reloads_failed += 1;
    return next.status().message();
  }
  if (!warning.empty()) {
    log("warning", warning);
  }
  // Listeners are bound once: a bundle whose listeners differ is refused rather than served
  // half-applied (the old one keeps serving).
  auto listenerPorts = [](const Snapshot& s) {
    std::vector<uint32_t> ports;
    for (const ListenerPlan& p : s.gatewayListeners()) {
      ports.push_back(p.port);
    }
    return std::make_pair(s.isGateway(), ports);
  };
  if (listenerPorts(**next) != listenerPorts(*snapshot_)) {
    std::lock_guard<std::mutex> stats_lock(stats_mutex_);
    server_stats_.reloads_failed += 1;
    return options_.bundle_path +
           ": the new bundle's listeners differ from the running ones; restart meshproxy to "
           "change listeners";
  }
  snapshot_ = *next;
  dns_->setNames(dnsNames(*snapshot_));  // new names resolve on the refresher's thread
  {
    // Counted before the workers switch, so whoever sees the new routes sees the count too.
    std::lock_guard<std::mutex> stats_lock(stats_mutex_);
    server_stats_.reloads_ok += 1;
    server_stats_.bundle_generation = snapshot_->generation();
    server_stats_.native_in_use = snapshot_->usesNative();
  }
  for (auto& w : workers_) {
    asio::post(w->io(), [worker = w.get(), s = snapshot_] { worker->installSnapshot(s); });
  }
  return {};
}

std::string Server::renderStats() {
  WorkerStats merged;
  for (auto& w : workers_) {
    merged.merge(w->collectStats());
  }
  ServerStats s;
  {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    s = server_stats_;
  }
  s.native_fallbacks = native::nativeFallbackCount();
  s.state = draining_.load() ? "DRAINING" : "LIVE";
  s.outlier = cluster_resources_.outlierStats();
  return renderPrometheus(merged, s, snapshot_->isGateway());
}

std::string Server::renderClusters() {
  std::string out;
  for (auto& w : workers_) {
    out += w->collectClusters();
  }
  return out;
}

std::string Server::renderConfig() {
  std::shared_ptr<const Snapshot> s;
  {
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    s = snapshot_;
  }
  const bundle::BundleHeader& h = s->bundle().header;
  nlohmann::json j;
  j["bundle"] = s->path();
  j["format_version"] = h.format_version;
  j["compiler_version"] = h.compiler_version;
  char hash[24];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(h.input_hash));
  j["input_hash"] = hash;
  j["proxy_kind"] = s->isGateway() ? "gateway" : "sidecar";
  j["engine"] = s->usesNative() ? "native" : "tree";
  j["generation"] = s->generation();
  nlohmann::json listeners = nlohmann::json::array();
  if (s->isGateway()) {
    for (const ListenerPlan& p : s->gatewayListeners()) {
      const xds::Listener& l = s->config().listeners[p.listener];
      nlohmann::json chains = nlohmann::json::array();
      auto describe = [](const xds::FilterChain& c) {
        nlohmann::json chain = {{"name", c.name}};
        if (!c.match.server_names.empty()) {
          chain["server_names"] = c.match.server_names;
        }
        if (!c.match.transport_protocol.empty()) {
          chain["transport_protocol"] = c.match.transport_protocol;
        }
        chain["terminates_tls"] = c.terminates_tls;
        if (c.http) {
          chain["route_config"] = c.rds_name;
        } else if (c.tcp_proxy) {
          nlohmann::json dest = nlohmann::json::array();
          if (c.tcp_proxy->weighted.empty()) {
            dest.push_back(c.tcp_proxy->cluster);
          }
          for (const xds::WeightedCluster& w : c.tcp_proxy->weighted) {
            dest.push_back(w.name + " (" + std::to_string(w.weight) + ")");
          }
          chain["tcp_proxy"] = dest;
        }
        return chain;
      };
      for (const xds::FilterChain& c : l.filter_chains) {
        chains.push_back(describe(c));
      }
      if (l.default_filter_chain) {
        nlohmann::json d = describe(*l.default_filter_chain);
        d["default"] = true;
        chains.push_back(d);
      }
      listeners.push_back({{"name", p.name},
                           {"address", options_.worker.listen_address + ":" + std::to_string(p.port)},
                           {"filter_chains", chains}});
    }
  } else {
    listeners.push_back({{"name", "outbound_proxy"}, {"address", options_.worker.sidecar_listen}});
  }
  j["listeners"] = listeners;
  nlohmann::json clusters = nlohmann::json::array();
  for (const xds::Cluster& c : s->config().clusters) {
    clusters.push_back({{"name", c.name}, {"endpoints", c.endpoints.size()}, {"lb_policy", c.lb_policy}});
  }
  j["clusters"] = clusters;
  return j.dump(2) + "\n";
}

void Server::runAdmin() {
  admin_->thread = std::thread([this] {
    lowerThisThreadsPriority();
    auto serve = [this](tcp::socket socket) -> asio::awaitable<void> {
      namespace bhttp = boost::beast::http;
      boost::beast::flat_buffer buffer;
      constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
      for (int served = 0; served < 10'000; ++served) {
        bhttp::request<bhttp::string_body> request;
        auto [ec, n] = co_await bhttp::async_read(socket, buffer, request, kAwait);
        if (ec) {
          break;
        }
        std::string target(request.target());
        std::string path = target.substr(0, target.find('?'));
        bhttp::response<bhttp::string_body> response;
        response.version(11);
        response.set(bhttp::field::content_type, "text/plain; charset=UTF-8");
        response.result(bhttp::status::ok);
        if (path == "/ready") {  // R17.1
          bool live = ready();
          response.result(live ? bhttp::status::ok : bhttp::status::service_unavailable);
          response.body() = draining() ? "DRAINING\n" : (live ? "LIVE\n" : "INITIALIZING\n");
        } else if (path == "/stats/prometheus") {
          response.body() = renderStats();
        } else if (path == "/config" || path == "/config_dump") {
          response.set(bhttp::field::content_type, "application/json");
          response.body() = renderConfig();
        } else if (path == "/clusters") {
          response.body() = renderClusters();
        } else if (path == "/reload" && request.method() == bhttp::verb::post) {
          std::string error = reload();
          if (!error.empty()) {
            response.result(bhttp::status::internal_server_error);
            response.body() = error + "\n";
          } else {
            response.body() = "OK\n";
          }
        } else {
          response.result(bhttp::status::not_found);
          response.body() = "unknown admin path " + path +
                            "; try /ready, /stats/prometheus, /config, /clusters\n";
        }
        response.keep_alive(request.keep_alive());
        response.prepare_payload();
        auto [wec, w] = co_await bhttp::async_write(socket, response, kAwait);
        if (wec || !request.keep_alive()) {
          break;
        }
      }
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_both, ignored);
    };
    std::function<void()> accept = [&]() {
      admin_->acceptor->async_accept([&](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) {
          return;
        }
        if (!ec) {
          asio::co_spawn(admin_->io, serve(std::move(socket)), asio::detached);
        }
        accept();
      });
    };
    accept();
    admin_->io.run();
  });
}

int Server::run() {
  // Signals go to this thread only: every thread started below inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::string warning;
  Expected<std::shared_ptr<const Snapshot>> loaded =
      Snapshot::load(options_.bundle_path, options_.endpoints_path, &warning,
                     options_.credentials_dir);
  if (!loaded) {
    log("error", loaded.status().message());
    return 1;
  }
  if (!warning.empty()) {
    log("warning", warning);
  }
  snapshot_ = *loaded;
  if (snapshot_->isGateway() && snapshot_->gatewayListeners().empty()) {
    log("error", options_.bundle_path + ": the gateway bundle holds no listener");
    return 1;
  }
  server_stats_.bundle_generation = snapshot_->generation();
  server_stats_.native_in_use = snapshot_->usesNative();
  server_stats_.workers = options_.workers;
  // STRICT_DNS endpoints: resolved on the refresher's thread; the first round is awaited (a
  // bounded wait, before any event loop runs) so the first requests find their hosts.
  dns_ = std::make_unique<DnsRefresher>(options_.dns_refresh, [this](auto table) {
    for (auto& w : workers_) {
      asio::post(w->io(), [worker = w.get(), table] { worker->installDns(table); });
    }
  });
  std::set<std::string> names = dnsNames(*snapshot_);
  if (!names.empty()) {
    dns_->setNames(std::move(names));
    if (!dns_->waitForRound(std::chrono::seconds(5))) {
      log("warning", "DNS answers are late; hosts of DNS clusters answer 503 UH until they come");
    }
  }
  for (uint32_t i = 0; i < options_.workers; ++i) {
    auto worker = std::make_unique<Worker>(*this, i, options_.worker);
    std::string error = worker->bind(*snapshot_);
    if (!error.empty()) {
      log("error", error);
      return 1;
    }
    worker->installDns(dns_->current());
    worker->installSnapshot(snapshot_);
    workers_.push_back(std::move(worker));
  }
  if (!options_.admin_address.empty()) {
    admin_ = std::make_unique<Admin>();
    size_t colon = options_.admin_address.rfind(':');
    boost::system::error_code ec;
    asio::ip::address addr = asio::ip::make_address(options_.admin_address.substr(0, colon), ec);
    unsigned long port = 0;
    if (!ec && colon != std::string::npos) {
      port = std::strtoul(options_.admin_address.c_str() + colon + 1, nullptr, 10);
    }
    if (ec || colon == std::string::npos || port > 65535) {
      log("error", "--admin " + options_.admin_address + ": expected IP:PORT");
      return 2;
    }
    admin_->acceptor = std::make_unique<tcp::acceptor>(admin_->io);
    tcp::endpoint ep(addr, static_cast<unsigned short>(port));
    admin_->acceptor->open(ep.protocol(), ec);
    if (!ec) {
      admin_->acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
      admin_->acceptor->bind(ep, ec);
    }
    if (!ec) {
      admin_->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      log("error", "cannot listen on admin address " + options_.admin_address + ": " + ec.message());
      return 1;
    }
    runAdmin();
  }
  for (auto& w : workers_) {
    w->start();
  }
  lowerThisThreadsPriority();  // after the workers started: they keep the default priority
  ready_ = true;
  {
    std::string listeners;
    if (snapshot_->isGateway()) {
      for (const ListenerPlan& p : snapshot_->gatewayListeners()) {
        listeners += " " + options_.worker.listen_address + ":" + std::to_string(p.port);
      }
    } else {
      listeners = " " + options_.worker.sidecar_listen +
                  " (sidecar: explicit proxy, or traffic captured by iptables)";
    }
    log("info", "serving " + options_.bundle_path + " (" +
                    (snapshot_->usesNative() ? "native code" : "portable tree") + ", " +
                    std::to_string(options_.workers) + " worker" +
                    (options_.workers == 1 ? "" : "s") + ") on" + listeners);
  }

  // --watch: the bundle and the endpoints file (endpoints change far more often than routes).
  std::vector<std::pair<std::string, FileId>> watched = {
      {options_.bundle_path, fileId(options_.bundle_path)}};
  if (!options_.endpoints_path.empty()) {
    watched.emplace_back(options_.endpoints_path, fileId(options_.endpoints_path));
  }
  while (true) {
    timespec wait{0, 200'000'000};
    int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig == SIGTERM || sig == SIGINT) {
      break;
    }
    bool want_reload = sig == SIGHUP;
    if (options_.watch) {
      for (auto& [path, id] : watched) {
        FileId now = fileId(path);
        if (!(now == id) && now.inode != 0) {
          id = now;
          want_reload = true;
        }
      }
    }
    if (want_reload) {
      std::string error = reload();
      if (error.empty()) {
        log("info", "reloaded " + options_.bundle_path);
      } else {
        log("error", "reload refused, still serving the previous bundle: " + error);
      }
    }
  }

  // Drain (R16.2, R16.4): stop accepting, /ready 503, finish in-flight requests, then close.
  draining_ = true;
  log("info", "draining");
  for (auto& w : workers_) {
    asio::post(w->io(), [worker = w.get()] { worker->beginDrain(); });
  }
  auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    size_t open = 0;
    for (auto& w : workers_) {
      open += w->activeConnections();
    }
    if (open == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& w : workers_) {
    asio::post(w->io(), [worker = w.get()] {
      worker->closeAll();
    });
  }
  // Give the close handlers a moment to run, then stop the loops.
  auto stop_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (std::chrono::steady_clock::now() < stop_deadline) {
    size_t open = 0;
    for (auto& w : workers_) {
      open += w->activeConnections();
    }
    if (open == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& w : workers_) {
    w->io().stop();
    w->join();
  }
  log("info", "drained; exiting");
  return 0;
}

}  // namespace meshc::proxy
