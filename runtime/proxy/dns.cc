// DnsRefresher: getaddrinfo on a dedicated thread, a round at start, on new names and every
// refresh period.
#include "proxy/dns.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>

namespace meshc::proxy {
namespace {

// The IPv4 addresses of `name`, sorted and unique; empty when the lookup fails.
std::vector<std::string> resolve(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  std::vector<std::string> out;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &result) != 0) {
    return out;
  }
  for (addrinfo* a = result; a != nullptr; a = a->ai_next) {
    char text[INET_ADDRSTRLEN];
    auto* sin = reinterpret_cast<sockaddr_in*>(a->ai_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text)) != nullptr) {
      out.emplace_back(text);
    }
  }
  freeaddrinfo(result);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

bool isIpLiteral(const std::string& address) {
  in_addr v4;
  in6_addr v6;
  return inet_pton(AF_INET, address.c_str(), &v4) == 1 ||
         inet_pton(AF_INET6, address.c_str(), &v6) == 1;
}

DnsRefresher::DnsRefresher(std::chrono::milliseconds refresh, Publish publish)
    : refresh_(refresh), publish_(std::move(publish)), thread_([this] { loop(); }) {}

DnsRefresher::~DnsRefresher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void DnsRefresher::setNames(std::set<std::string> names) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (names == names_) {
      return;
    }
    names_ = std::move(names);
    names_changed_ = true;
    rounds_ = 0;
  }
  wake_.notify_all();
}

std::shared_ptr<const DnsTable> DnsRefresher::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return table_;
}

bool DnsRefresher::waitForRound(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return round_done_.wait_for(lock, timeout, [this] { return rounds_ > 0 || stop_; });
}

void DnsRefresher::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    std::set<std::string> names = names_;
    names_changed_ = false;
    std::shared_ptr<const DnsTable> previous = table_;
    lock.unlock();
    auto next = std::make_shared<DnsTable>();
    for (const std::string& name : names) {
      std::vector<std::string> answer = resolve(name);
      if (answer.empty()) {  // keep the last good answer
        auto it = previous->find(name);
        if (it != previous->end()) {
          answer = it->second;
        }
      }
      if (!answer.empty()) {
        next->emplace(name, std::move(answer));
      }
    }
    bool changed = *next != *previous;
    lock.lock();
    if (!names_changed_) {
      rounds_ += 1;
    }
    if (changed) {
      table_ = next;
    }
    if (changed && !stop_) {
      lock.unlock();
      publish_(next);
      lock.lock();
    }
    round_done_.notify_all();
    wake_.wait_for(lock, refresh_, [this] { return stop_ || names_changed_; });
  }
}

}  // namespace meshc::proxy
