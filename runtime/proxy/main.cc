// meshproxy: loads a routing bundle compiled by `meshc compile` and forwards HTTP/1.1 traffic
// the way Envoy does under the same Istio configuration. Exit codes: 0 after a clean drain,
// 1 when the bundle cannot be loaded or a listener cannot be bound, 2 for usage errors.
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <string>
#include <thread>

#include "proxy/server.h"

namespace {

// "5s", "250ms", "1m", "0" → milliseconds; false when malformed.
bool parseDuration(const std::string& text, std::chrono::milliseconds* out) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) {
    return false;
  }
  std::string_view unit(end, text.data() + text.size() - end);
  uint64_t scale = 0;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s" || (unit.empty() && value == 0)) {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else {
    return false;
  }
  *out = std::chrono::milliseconds(value * scale);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "meshproxy: serve a routing bundle compiled by `meshc compile`, forwarding HTTP/1.1 as "
      "Envoy would under the same Istio configuration.\n\nExample:\n  meshc compile -f "
      "samples/shop --gateway istio=ingressgateway -o gw.mcb\n  meshproxy --bundle gw.mcb "
      "--admin 127.0.0.1:15000 --endpoints eps.json --access-log -",
      "meshproxy"};
  meshc::proxy::ServerOptions options;
  unsigned hw = std::thread::hardware_concurrency();
  options.workers = hw == 0 ? 1 : hw;
  std::string drain = "5s";
  std::string idle = "1h";
  std::string headers_timeout = "0";
  std::string dns_refresh = "60s";
  std::string connect = "10s";
  app.add_option("--bundle", options.bundle_path, "routing bundle (.mcb) to serve")->required();
  app.add_option("--admin", options.admin_address,
                 "admin listener IP:PORT (/ready, /stats/prometheus, /config, /clusters)");
  app.add_option("--workers", options.workers, "event-loop threads (default: the core count)")
      ->check(CLI::Range(1u, 256u));
  app.add_option("--listen-address", options.worker.listen_address,
                 "address of a gateway bundle's listeners (default 0.0.0.0)");
  app.add_option("--sidecar-listen", options.worker.sidecar_listen,
                 "IP:PORT of a sidecar bundle's listener: traffic captured by iptables, or "
                 "explicit-proxy clients (default 127.0.0.1:15001)");
  app.add_option("--credentials", options.credentials_dir,
                 "directory of TLS credentials: DIR/<credentialName>/tls.crt, tls.key, ca.crt "
                 "(a mounted Kubernetes Secret; see `meshc compile --credentials-dir`)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--endpoints", options.endpoints_path,
                 "JSON endpoint lists replacing the bundle's (see `meshc endpoints`)");
  app.add_option("--access-log", options.worker.access_log_path,
                 "access log file in Istio's default format, or - for stdout");
  app.add_flag("--watch", options.watch, "reload when the bundle file is replaced");
  app.add_option("--drain-timeout", drain, "time in-flight requests get after SIGTERM (5s)");
  app.add_option("--idle-timeout", idle, "close connections idle this long (Envoy: 1h; 0 = never)");
  app.add_option("--request-headers-timeout", headers_timeout,
                 "answer 408 when a request's headers take longer (slowloris; Istio sets none: 0)");
  app.add_option("--dns-refresh-rate", dns_refresh,
                 "how often DNS clusters' host names are resolved again (mesh default 60s)");
  app.add_option("--connect-timeout", connect, "upstream connect timeout (mesh default 10s)");
  app.add_option("--max-connections", options.worker.max_connections,
                 "downstream connections per worker (0 = unlimited)");
  app.add_option("--node-ip", options.worker.node_ip,
                 "this proxy's IP, appended to x-forwarded-for for loopback clients (default: "
                 "the bundle's proxy IP)");
  app.add_option("--log-level", options.log_level, "debug, info, warning or error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!parseDuration(drain, &options.drain_timeout)) {
    std::fprintf(stderr, "meshproxy: --drain-timeout %s: expected a duration such as 5s or 500ms\n",
                 drain.c_str());
    return 2;
  }
  if (!parseDuration(headers_timeout, &options.worker.request_headers_timeout)) {
    std::fprintf(stderr,
                 "meshproxy: --request-headers-timeout %s: expected a duration such as 10s\n",
                 headers_timeout.c_str());
    return 2;
  }
  if (!parseDuration(dns_refresh, &options.dns_refresh) || options.dns_refresh.count() == 0) {
    std::fprintf(stderr, "meshproxy: --dns-refresh-rate %s: expected a positive duration\n",
                 dns_refresh.c_str());
    return 2;
  }
  if (!parseDuration(idle, &options.worker.idle_timeout)) {
    std::fprintf(stderr, "meshproxy: --idle-timeout %s: expected a duration such as 1h or 30s\n",
                 idle.c_str());
    return 2;
  }
  if (!parseDuration(connect, &options.worker.connect_timeout) ||
      options.worker.connect_timeout.count() == 0) {
    std::fprintf(stderr, "meshproxy: --connect-timeout %s: expected a positive duration\n",
                 connect.c_str());
    return 2;
  }
  meshc::proxy::Server server(std::move(options));
  return server.run();
}
