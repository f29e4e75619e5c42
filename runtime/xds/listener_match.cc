// Listener and filter-chain selection shared by the simulator and meshproxy.
#include "xds/listener_match.h"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <cstring>

namespace meshc::xds {
namespace {

// An IP literal as 16 bytes (IPv4 as its v4-mapped IPv6 form) and its bit length (32 or 128).
bool parseIp(std::string_view text, unsigned char out[16], int* bits) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  char buf[64];
  if (text.empty() || text.size() >= sizeof(buf)) {
    return false;
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  unsigned char v4[4];
  if (inet_pton(AF_INET, buf, v4) == 1) {
    std::memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    std::memcpy(out + 12, v4, 4);
    *bits = 32;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out) == 1) {
    *bits = 128;
    return true;
  }
  return false;
}

// Keeps, of `chains`, those ranked best by `rank` among the ones that set the field; when none
// of those match, the ones that do not set it; when no chain sets it, all.
template <typename SetFn, typename RankFn>
void sieve(std::vector<const FilterChain*>& chains, SetFn sets, RankFn rank) {
  if (!std::any_of(chains.begin(), chains.end(), sets)) {
    return;
  }
  int best = -1;
  for (const FilterChain* c : chains) {
    if (sets(c)) {
      best = std::max(best, rank(c));
    }
  }
  std::vector<const FilterChain*> kept;
  for (const FilterChain* c : chains) {
    if (best >= 0 ? (sets(c) && rank(c) == best) : !sets(c)) {
      kept.push_back(c);
    }
  }
  chains.swap(kept);
}

bool isWildcardAddress(std::string_view address) {
  return address.empty() || address == "0.0.0.0" || address == "::";
}

}  // namespace

int cidrMatch(std::string_view cidr, std::string_view address) {
  size_t slash = cidr.find('/');
  unsigned char net[16];
  unsigned char addr[16];
  int net_bits = 0;
  int addr_bits = 0;
  if (!parseIp(cidr.substr(0, slash), net, &net_bits) || !parseIp(address, addr, &addr_bits) ||
      net_bits != addr_bits) {
    return -1;
  }
  int len = net_bits;
  if (slash != std::string_view::npos) {
    std::string_view l = cidr.substr(slash + 1);
    auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), len);
    if (ec != std::errc() || end != l.data() + l.size() || len < 0 || len > net_bits) {
      return -1;
    }
  }
  // Compare the first `len` bits of the address part (IPv4 sits in the last 32 bits).
  int offset = net_bits == 32 ? 96 : 0;
  for (int bit = 0; bit < len; ++bit) {
    int i = offset + bit;
    unsigned mask = 0x80u >> (i % 8);
    if ((net[i / 8] & mask) != (addr[i / 8] & mask)) {
      return -1;
    }
  }
  return len;
}

int serverNameRank(const std::vector<std::string>& names, std::string_view sni) {
  int best = -1;
  for (const std::string& n : names) {
    if (n == sni) {
      return 1 << 20;
    }
    // "*.example.com" matches "a.example.com" and "a.b.example.com" (R14.2), never
    // "example.com" itself.
    if (n.size() > 1 && n[0] == '*' && sni.size() > n.size() - 1 &&
        sni.substr(sni.size() - (n.size() - 1)) == std::string_view(n).substr(1)) {
      best = std::max(best, static_cast<int>(n.size()));
    }
  }
  return best;
}

const Listener* selectListener(const ProxyConfig& config, std::string_view address,
                               uint32_t port) {
  const bool gateway = config.proxy.kind == ProxyIdentity::Kind::kGateway;
  if (!address.empty()) {
    for (const Listener& l : config.listeners) {
      if (l.port == port && l.address == address) {
        return &l;
      }
    }
  }
  for (const Listener& l : config.listeners) {
    if (l.port == port && isWildcardAddress(l.address) && !l.use_original_dst) {
      return &l;
    }
  }
  if (gateway) {
    for (const Listener& l : config.listeners) {
      if (l.server_port == port) {
        return &l;
      }
    }
    return nullptr;
  }
  for (const Listener& l : config.listeners) {
    if (l.use_original_dst) {
      return &l;
    }
  }
  return nullptr;
}

FilterChainChoice selectFilterChain(const Listener& listener, const ConnectionFacts& facts) {
  std::vector<const FilterChain*> chains;
  chains.reserve(listener.filter_chains.size());
  for (const FilterChain& c : listener.filter_chains) {
    chains.push_back(&c);
  }
  sieve(
      chains, [](const FilterChain* c) { return c->match.destination_port.has_value(); },
      [&](const FilterChain* c) { return *c->match.destination_port == facts.destination_port ? 1 : -1; });
  sieve(
      chains, [](const FilterChain* c) { return !c->match.prefix_ranges.empty(); },
      [&](const FilterChain* c) {
        int best = -1;
        for (const std::string& cidr : c->match.prefix_ranges) {
          best = std::max(best, cidrMatch(cidr, facts.destination_address));
        }
        return best;
      });
  sieve(
      chains, [](const FilterChain* c) { return !c->match.server_names.empty(); },
      [&](const FilterChain* c) {
        return facts.sni.empty() ? -1 : serverNameRank(c->match.server_names, facts.sni);
      });
  sieve(
      chains, [](const FilterChain* c) { return !c->match.transport_protocol.empty(); },
      [&](const FilterChain* c) {
        return c->match.transport_protocol == (facts.tls ? "tls" : "raw_buffer") ? 1 : -1;
      });
  sieve(
      chains, [](const FilterChain* c) { return !c->match.application_protocols.empty(); },
      [&](const FilterChain* c) {
        for (std::string_view offered : facts.alpn) {
          const auto& protos = c->match.application_protocols;
          if (std::find(protos.begin(), protos.end(), offered) != protos.end()) {
            return 1;
          }
        }
        return -1;
      });
  FilterChainChoice choice;
  if (chains.empty()) {
    if (listener.default_filter_chain) {
      choice.chain = &*listener.default_filter_chain;
      choice.is_default = true;
    }
    return choice;
  }
  choice.chain = chains.front();
  choice.ambiguous = chains.size() > 1;
  return choice;
}

bool needsTlsInspection(const Listener& listener) { return listener.has_tls_inspector; }

bool needsHttpInspection(const Listener& listener) { return listener.has_http_inspector; }

}  // namespace meshc::xds
