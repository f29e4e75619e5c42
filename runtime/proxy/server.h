// meshproxy's process: loads the bundle, starts the workers and the admin listener, handles
// SIGHUP / --watch reloads and SIGTERM drain (PROXY-SEMANTICS §16, §17).
// Entry points: ServerOptions, Server::run().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "proxy/dns.h"
#include "proxy/snapshot.h"
#include "proxy/stats.h"
#include "proxy/worker.h"

namespace meshc::proxy {

struct ServerOptions {
  std::string bundle_path;
  std::string admin_address;  // "" = no admin listener
  uint32_t workers = 1;
  std::string endpoints_path;
  std::string credentials_dir;  // --credentials: DIR/<credentialName>/tls.crt, tls.key, ca.crt
  bool watch = false;
  std::chrono::milliseconds drain_timeout{5000};  // R16.4 terminationDrainDuration default
  std::string log_level = "info";                 // debug, info, warning, error
  std::chrono::milliseconds dns_refresh{60'000};  // mesh dnsRefreshRate default (60 s)
  WorkerSettings worker;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  /// Loads the bundle, binds every listener, serves until SIGTERM/SIGINT and a drain. Returns
  /// the exit code: 0 after a clean drain, 1 when the bundle cannot be loaded or a listener
  /// cannot be bound (the reason is printed to stderr).
  int run();

  /// Reads and verifies the bundle again (off the event loops) and swaps it in on success.
  /// Returns "" or the reader's error.
  std::string reload();
  std::string renderStats();
  std::string renderClusters();
  std::string renderConfig();
  bool ready() const { return ready_.load() && !draining_.load(); }
  bool draining() const { return draining_.load(); }
  /// The cluster-wide state workers share (circuit breakers, outlier detection; R12).
  ClusterResourceRegistry& clusterResources() { return cluster_resources_; }
  void log(std::string_view level, std::string_view message);

 private:
  void runAdmin();
  void watchLoop();
  ServerOptions options_;
  ClusterResourceRegistry cluster_resources_;  // outlives the workers that use it
  std::vector<std::unique_ptr<Worker>> workers_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::mutex snapshot_mutex_;  // reloads are serialised (SIGHUP, --watch)
  ServerStats server_stats_;
  std::mutex stats_mutex_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopping_{false};
  struct Admin;
  std::unique_ptr<Admin> admin_;
  std::unique_ptr<DnsRefresher> dns_;
};

}  // namespace meshc::proxy
