// Name resolution for STRICT_DNS clusters (`resolution: DNS` ServiceEntries): a thread of its
// own resolves every endpoint host name, periodically, and hands the answers to the workers —
// never an event loop blocked on DNS. A failed lookup keeps the last good answer.
// Entry points: DnsTable, DnsRefresher.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace meshc::proxy {

/// Host name → its IPv4 addresses (Istio's clusters use V4_ONLY lookups on IPv4 proxies).
using DnsTable = std::map<std::string, std::vector<std::string>>;

class DnsRefresher {
 public:
  using Publish = std::function<void(std::shared_ptr<const DnsTable>)>;
  /// `publish` runs on the resolver thread after every round that changed an answer.
  DnsRefresher(std::chrono::milliseconds refresh, Publish publish);
  ~DnsRefresher();
  /// The names to resolve (replaces the previous set; new names are resolved at once).
  void setNames(std::set<std::string> names);
  std::shared_ptr<const DnsTable> current() const;
  /// Blocks (not on an event loop) until a round that covered the current names finished, or
  /// `timeout` passed; true when it finished.
  bool waitForRound(std::chrono::milliseconds timeout);

 private:
  void loop();
  std::chrono::milliseconds refresh_;
  Publish publish_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable round_done_;
  std::set<std::string> names_;
  bool names_changed_ = false;
  bool stop_ = false;
  uint64_t rounds_ = 0;  // rounds finished with the current names
  std::shared_ptr<const DnsTable> table_ = std::make_shared<DnsTable>();
  std::thread thread_;
};

/// True when `address` is an IP literal (nothing to resolve).
bool isIpLiteral(const std::string& address);

}  // namespace meshc::proxy
