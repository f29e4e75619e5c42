// The request path of one downstream connection (DESIGN.md §1, PROXY-SEMANTICS §0.1): codec →
// connection manager → route → router actions → upstream → response, one request at a time.
// Local replies carry Envoy's status, body, flags and details (§11.1).
#include "proxy/connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/container/small_vector.hpp>
#include <boost/beast/http/error.hpp>
#include <algorithm>
#include <charconv>
#include <tuple>
#include <chrono>
#include <sys/socket.h>
#include <unistd.h>

#include "base/ascii.h"
#include "proxy/codec.h"
#include "proxy/connection_manager.h"
#include "proxy/drained_read.h"
#include "proxy/upstream_connect.h"
#include "proxy/worker.h"
#include "router/http_filters.h"
#include "router/retry.h"
#include "router/route_actions.h"
#include "routing/request.h"
#include "upstream/hash_policy.h"

namespace meshc::proxy {
namespace {

using namespace boost::asio::experimental::awaitable_operators;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr size_t kReadChunk = 16 * 1024;
constexpr std::string_view kResetPrefix =
    "upstream connect error or disconnect/reset before headers. ";

// The port a request's authority names (R: sidecar explicit proxy picks the route
// configuration by it); the scheme's default when absent.
uint32_t authorityPort(std::string_view authority, std::string_view scheme) {
  size_t start = ir::portStart(authority);
  if (start != std::string_view::npos) {
    uint32_t port = 0;
    std::string_view digits = authority.substr(start + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec == std::errc() && end == digits.data() + digits.size()) {
      return port;
    }
  }
  return scheme == "https" ? 443 : 80;
}

// R13.3: methods whose header-only requests get `content-length: 0` upstream.
bool methodMayHaveBody(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "DELETE" && method != "TRACE" &&
         method != "CONNECT";
}

// R7.9: the listener's per_connection_buffer_limit_bytes, Envoy's default (Istio sets none).
constexpr size_t kRetryBufferLimit = 1 << 20;

/// R11.5: the upstream closed the connection before its response headers.
AttemptFailure connectionTermination() {
  return attemptFailure(router::UpstreamReset::kConnectionTermination, "connection termination");
}

/// R11.4, R11.20: Envoy writes details and the transport failure reason with '_' for ' '.
std::string underscored(std::string_view text) {
  std::string out(text);
  std::replace(out.begin(), out.end(), ' ', '_');
  return out;
}

/// An idle pooled connection to `host` that the upstream has not closed, or nullptr.
PooledConnectionPtr takeIdleConnection(Worker& worker, UpstreamHost& host) {
  while (!host.idle.empty()) {
    PooledConnectionPtr candidate = std::move(host.idle.back());
    host.idle.pop_back();
    if (candidate->take()) {
      return candidate;
    }
    worker.stats().upstream_cx_active -= 1;  // the upstream closed it while it sat idle
  }
  return nullptr;
}

/// A request's use of one of this worker's connections to `host`, connecting or in use: counted
/// in `host.active` until released, and releasing wakes a request waiting for the host (R12.2).
class HostUse {
 public:
  explicit HostUse(UpstreamHost& host) : host_(&host) { host.active += 1; }
  HostUse(const HostUse&) = delete;
  HostUse& operator=(const HostUse&) = delete;
  ~HostUse() { release(); }
  void release() {
    if (host_ != nullptr) {
      host_->active -= 1;
      host_->wakeWaiter();
      host_ = nullptr;
    }
  }

 private:
  UpstreamHost* host_;
};

/// A request counted against its cluster's max_requests (R12.1, R12.2) while it holds a
/// connection: hold() takes over a count already added, release() gives it back.
class RequestSlot {
 public:
  RequestSlot() = default;
  RequestSlot(const RequestSlot&) = delete;
  RequestSlot& operator=(const RequestSlot&) = delete;
  ~RequestSlot() { release(); }
  void hold(ClusterResources* resources) { resources_ = resources; }
  void release() {
    if (resources_ != nullptr) {
      resources_->requests.fetch_sub(1, std::memory_order_relaxed);
      resources_ = nullptr;
    }
  }

 private:
  ClusterResources* resources_ = nullptr;
};

/// A connection after its request: back into the host's pool when it can carry another (the
/// exchange left it reusable, it is under maxRequestsPerConnection (R12.1), the worker is not
/// draining and no reload replaced its cluster), else closed. Either way a waiting request may
/// now go on (R12.2: the caller's Release wakes it).
void releaseConnection(Worker& worker, const ClusterState& cluster, UpstreamHost& host,
                       PooledConnectionPtr connection, bool reusable) {
  reusable = reusable && !worker.draining() && !cluster.retired &&
             (cluster.max_requests_per_connection == 0 ||
              connection->requests < cluster.max_requests_per_connection);
  if (reusable) {
    connection->park();
    host.idle.push_back(std::move(connection));
  } else {
    error_code ignored;
    connection->socket.close(ignored);
    worker.stats().upstream_cx_active -= 1;
  }
}

/// R9: one mirrored copy of a request, fire and forget: its own host choice in the mirror
/// cluster, the request as `wire` (head and body), the response read and dropped, the route
/// timeout as its timeout (0 = none). Nothing it meets reaches the client.
asio::awaitable<void> sendMirror(Worker& worker, std::shared_ptr<const Snapshot> snapshot,
                                 int32_t cluster_index, std::string cluster_name,
                                 std::string wire, bool head_request, int64_t timeout_ns) {
  std::shared_ptr<ClusterState> cluster = worker.pool().cluster(*snapshot, cluster_index);
  if (!cluster || !cluster->lb || cluster->original_dst) {
    co_return;
  }
  upstream::PickContext pick;
  cluster->refreshHealth();
  int32_t index = cluster->lb->pick(cluster->states, pick);
  if (index < 0 || !cluster->hosts[index].resolved) {
    co_return;
  }
  UpstreamHost& host = cluster->hosts[index];
  ClusterCounters& counters = worker.stats().clusters[cluster_name];
  ClusterResources* res = cluster->resources.get();
  PooledConnectionPtr connection = takeIdleConnection(worker, host);
  // The mirror cluster's circuit breakers apply; a copy never waits for a connection.
  if (res != nullptr &&
      (res->requests.load(std::memory_order_relaxed) >= cluster->limits.max_requests ||
       (!connection &&
        res->connections.load(std::memory_order_relaxed) >= cluster->limits.max_connections))) {
    counters.upstream_rq_pending_overflow += 1;
    if (connection) {
      releaseConnection(worker, *cluster, host, std::move(connection), true);
    }
    co_return;
  }
  counters.upstream_rq_total += 1;
  host.rq_total += 1;
  HostUse use(host);
  if (!connection) {
    connection = std::make_shared<PooledConnection>(worker.io(), cluster->resources);
    if (co_await connectUpstream(worker, *cluster, host, counters, connection->socket)) {
      host.rq_error += 1;
      co_return;
    }
  }
  connection->requests += 1;
  RequestSlot attached;
  if (res != nullptr) {
    res->requests.fetch_add(1, std::memory_order_relaxed);
    attached.hold(res);
  }
  struct Registered {  // closeAll() (drain timeout, stop) cuts the copy short
    Worker& worker;
    std::list<tcp::socket*>::iterator it;
    ~Registered() { worker.unregisterMirror(it); }
  } registered{worker, worker.registerMirror(&connection->socket)};
  tcp::socket& socket = connection->socket;
  bool reusable = false;
  auto exchange = [&]() -> asio::awaitable<void> {
    auto [wec, w] = co_await asio::async_write(socket, asio::buffer(wire), kAwait);
    if (wec) {
      co_return;
    }
    boost::beast::flat_buffer in = worker.takeBuffer();
    struct ReturnBuffer {
      Worker& worker;
      boost::beast::flat_buffer& buffer;
      ~ReturnBuffer() { worker.returnBuffer(std::move(buffer)); }
    } give_back{worker, in};
    std::optional<ResponseParser> rp;
    do {  // 1xx answers come first (R13.5)
      rp.emplace();
      rp->skip(head_request);
      while (!rp->is_done()) {
        if (in.size() > 0) {
          error_code ec;
          size_t used = rp->put(in.data(), ec);
          in.consume(used);
          rp->body.clear();
          if (ec && ec != boost::beast::http::error::need_more) {
            co_return;
          }
          if (rp->is_header_done() && rp->status >= 100 && rp->status < 200) {
            break;
          }
          if (rp->is_done() || (!ec && used > 0)) {
            continue;
          }
        }
        auto [ec, n] = co_await asyncReadDrained(socket, in.prepare(kReadChunk), kAwait);
        if (ec == asio::error::eof && rp->need_eof()) {
          error_code fec;
          rp->put_eof(fec);
          break;
        }
        if (ec || n == 0) {
          co_return;
        }
        in.commit(n);
      }
    } while (rp->status >= 100 && rp->status < 200);
    if (rp->status >= 500) {
      host.rq_error += 1;
    } else {
      host.rq_success += 1;
    }
    reusable = rp->is_done() && rp->keep_alive() && in.size() == 0;
  };
  if (timeout_ns > 0) {
    asio::steady_timer timer(worker.io());
    timer.expires_after(std::chrono::nanoseconds(timeout_ns));
    co_await (exchange() || timer.async_wait(kAwait));
  } else {
    co_await exchange();
  }
  releaseConnection(worker, *cluster, host, std::move(connection), reusable);
}

/// The local reply for a failed last attempt (R11.4–R11.7, R6.4, R7.11): "retried and the
/// latest " once a retry happened; URX first when the policy wanted another try.
LocalReply resetReply(const AttemptFailure& f, bool retried, bool exhausted) {
  LocalReply reply;
  if (f.reset == router::UpstreamReset::kPerTryTimeout) {
    reply.status = 504;
    reply.body = "upstream request timeout";
    reply.flags = exhausted ? "URX,UT" : "UT";
    reply.details = "upstream_per_try_timeout";
    return reply;
  }
  reply.status = 503;
  reply.body = std::string(kResetPrefix) + (retried ? "retried and the latest " : "") +
               "reset reason: " + f.reason;
  if (!f.transport.empty()) {
    reply.body += ", transport failure reason: " + f.transport;
  }
  // "{connection_termination}", "{remote_connection_failure|delayed_connect_error:_...}"
  reply.details = "upstream_reset_before_response_started{" + underscored(f.reason) +
                  (f.transport.empty() ? "" : "|" + underscored(f.transport)) + "}";
  switch (f.reset) {
    case router::UpstreamReset::kConnectFailure:
    case router::UpstreamReset::kConnectTimeout:
      reply.flags = exhausted ? "URX,UF" : "UF";
      break;
    case router::UpstreamReset::kProtocolError:
      reply.status = f.status != 0 ? f.status : 502;
      reply.flags = exhausted ? "URX,UPE" : "UPE";
      break;
    case router::UpstreamReset::kOverflow:
      reply.flags = "UO";
      break;
    default:
      reply.flags = exhausted ? "URX,UC" : "UC";
      break;
  }
  return reply;
}

/// R6.3, R11.9: the route timer fired before response headers.
LocalReply routeTimeoutReply() {
  LocalReply reply;
  reply.status = 504;
  reply.body = "upstream request timeout";
  reply.flags = "UT";
  reply.details = "response_timeout";
  return reply;
}

/// A request's route and per-try timer state, shared with the timers' handlers: they act only
/// while `armed` (the request is still running) and on the attempt they were set for.
struct TimerState {
  bool armed = true;
  bool route_fired = false;
  bool per_try_fired = false;
  bool response_started = false;  // a response byte went downstream (R6.4, R7.12)
  uint32_t attempt = 0;
  tcp::socket* upstream = nullptr;  // the attempt in flight
  tcp::socket* downstream = nullptr;
  asio::steady_timer* backoff = nullptr;
};

/// A wait (back-off, or a pending request's) that the route timer ends early: the timer's
/// handler cancels `TimerState::backoff` while it is set (R6.2).
struct CutByRouteTimer {
  CutByRouteTimer(TimerState* state, asio::steady_timer& wait) : state_(state) {
    if (state_ != nullptr) {
      state_->backoff = &wait;
    }
  }
  ~CutByRouteTimer() {
    if (state_ != nullptr) {
      state_->backoff = nullptr;
    }
  }
  CutByRouteTimer(const CutByRouteTimer&) = delete;
  CutByRouteTimer& operator=(const CutByRouteTimer&) = delete;

 private:
  TimerState* state_;
};

bool statusHasNoBody(unsigned status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

// The downstream transport: the accepted socket, or TLS terminated over it (R14.1). The
// connection is a template over it, so the plaintext path pays nothing for TLS.
template <typename Token>
auto readSome(tcp::socket& s, asio::mutable_buffer b, Token&& token) {
  return asyncReadDrained(s, b, std::forward<Token>(token));
}
template <typename Token>
auto readSome(TlsStream& s, asio::mutable_buffer b, Token&& token) {
  return s.async_read_some(b, std::forward<Token>(token));
}

template <typename Stream>
class DownstreamConnection {
 public:
  DownstreamConnection(Worker& worker, Stream socket, ListenerContext listener)
      : worker_(worker), socket_(std::move(socket)), listener_(std::move(listener)) {}

  asio::awaitable<void> run();

 private:
  // Per-request state the helpers share.
  struct Exchange {
    std::shared_ptr<const Snapshot> snapshot;
    AccessLogEntry log;
    Clock::time_point started;
    http::ProxyRequest request;
    PreparedRequest prepared;
    const xds::Route* route = nullptr;
    const xds::WeightedCluster* destination = nullptr;
    std::string flags = "-";
    bool request_complete = false;
    Clock::time_point request_completed_at;
    bool close_after = false;
    std::string set_cookie;
    std::string original_authority;  // before any rewrite: ORIGINAL_DST's destination
    /// R10.4: set when the CORS filter saw an allowed origin on an actual request: every
    /// response the router sends for it (upstream or local) is decorated.
    const xds::CorsPolicy* cors = nullptr;
    std::string cors_origin;
  };

  /// R11.18: flags in the order they were set, joined with ','; "-" when none.
  static void addFlags(Exchange& ex, std::string_view flags) {
    if (flags.empty() || flags == "-") {
      return;
    }
    if (ex.flags == "-") {
      ex.flags.assign(flags);
    } else {
      ex.flags.append(",").append(flags);
    }
  }

  /// A request's record, started now on this connection's current snapshot (R0.3/R16.3: the
  /// request keeps those routes, whatever reloads do).
  Exchange startExchange(Clock::time_point started) const;
  asio::awaitable<bool> readMore();
  asio::awaitable<bool> handleRequest();
  /// A local reply (R11.1), in gRPC form for gRPC requests (R3.20). `extra` headers come
  /// first (a redirect's location, a preflight's access-control-*).
  asio::awaitable<bool> sendLocalReply(Exchange& ex, const LocalReply& reply,
                                       const xds::Route* route_for_headers,
                                       const http::HeaderMap* extra = nullptr);
  /// R8: the route's fault filter; returns false when it answered (abort) or the client left.
  asio::awaitable<bool> injectFault(Exchange& ex, const xds::FaultPolicy& fault, bool& keep);
  /// R10: the route's CORS filter; returns true when it answered a preflight itself.
  asio::awaitable<bool> applyCors(Exchange& ex, const xds::CorsPolicy& cors, bool& keep);
  asio::awaitable<bool> forward(Exchange& ex, RequestParser& parser, int32_t cluster_index,
                                const std::string& cluster_name);
  void finish(Exchange& ex, uint32_t status, std::string_view details);
  router::FormatContext formatContext(const Exchange& ex) const;

  /// asyncReadLazy's target between requests: a pooled buffer, taken when bytes arrive.
  class IdleRead final : public ReadTarget {
   public:
    explicit IdleRead(DownstreamConnection& c) : c_(c) {}
    asio::mutable_buffer acquire() override {
      if (c_.in_.capacity() == 0) {
        c_.in_ = c_.worker_.takeBuffer();
      }
      return c_.in_.prepare(kReadChunk);
    }
    void release() override { c_.worker_.returnBuffer(std::move(c_.in_)); }

   private:
    DownstreamConnection& c_;
  };

  Worker& worker_;
  Stream socket_;
  ListenerContext listener_;
  boost::beast::flat_buffer in_;
  std::string remote_ip_, remote_address_;
  std::list<Worker::ConnectionHandle>::iterator handle_;
};

template <typename Stream>
typename DownstreamConnection<Stream>::Exchange DownstreamConnection<Stream>::startExchange(
    Clock::time_point started) const {
  Exchange ex;
  ex.snapshot = worker_.snapshot();
  ex.started = started;
  if (worker_.accessLog().enabled()) {  // START_TIME: read only when a log is written
    ex.log.start = std::chrono::system_clock::now();
  }
  ex.log.downstream_remote_address = remote_address_;
  ex.log.downstream_local_address = listener_.local_address;
  ex.log.requested_server_name = listener_.sni;
  return ex;
}

template <typename Stream>
asio::awaitable<bool> DownstreamConnection<Stream>::readMore() {
  auto [ec, n] = co_await readSome(socket_, in_.prepare(kReadChunk), kAwait);
  if (ec || n == 0) {
    co_return false;
  }
  in_.commit(n);
  co_return true;
}

// %HOSTNAME% (R3.8): the machine's name, read once.
const std::string& hostName() {
  static const std::string name = [] {
    char buf[256] = {};
    return gethostname(buf, sizeof(buf) - 1) == 0 ? std::string(buf) : std::string();
  }();
  return name;
}

template <typename Stream>
router::FormatContext DownstreamConnection<Stream>::formatContext(const Exchange& ex) const {
  router::FormatContext ctx;
  ctx.hostname = hostName();
  ctx.downstream_remote_address = remote_address_;
  ctx.downstream_local_address = listener_.local_address;
  ctx.request_headers = &ex.request.headers;
  return ctx;
}

template <typename Stream>
void DownstreamConnection<Stream>::finish(Exchange& ex, uint32_t status, std::string_view details) {
  ex.log.response_code = status;
  ex.log.response_flags = ex.flags;
  ex.log.response_code_details = std::string(details);
  ex.log.duration_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - ex.started).count());
  RequestKeyView key;
  key.listener = listener_.listener_name;
  key.route = ex.log.route_name.empty() ? std::string_view("-") : ex.log.route_name;
  key.cluster = ex.log.upstream_cluster.empty() ? std::string_view("-") : ex.log.upstream_cluster;
  key.response_code = status;
  key.response_flags = ex.flags;
  worker_.stats().countRequest(key);
  worker_.accessLog().append(ex.log);
}

template <typename Stream>
asio::awaitable<bool> DownstreamConnection<Stream>::sendLocalReply(Exchange& ex, const LocalReply& reply,
                                                           const xds::Route* route_for_headers,
                                                           const http::HeaderMap* extra) {
  http::HeaderMap headers(http::HeaderMap::Side::kResponse);
  if (extra != nullptr) {
    for (const http::Header& h : extra->entries()) {
      headers.addRaw(h.name, h.value);
    }
  }
  uint32_t status = reply.status;
  std::string_view body = reply.body;
  if (!reply.filter_encoded && router::isGrpcRequest(ex.request.headers)) {  // R3.20: trailers-only gRPC answer
    status = 200;
    headers.set("content-type", "application/grpc");
    headers.set("grpc-status", std::to_string(reply.grpc_status
                                                  ? *reply.grpc_status
                                                  : router::grpcStatusForHttp(reply.status)));
    if (!body.empty()) {
      headers.set("grpc-message", router::percentEncodeGrpcMessage(body));
    }
    body = {};
  } else if (!body.empty()) {
    headers.set("content-type", "text/plain");
  }
  if (route_for_headers != nullptr) {
    router::finalizeResponseHeaders(*route_for_headers, ex.destination, headers,
                                    formatContext(ex));
  }
  if (ex.cors != nullptr) {  // R10.4: local replies of the router are decorated too
    router::corsDecorateResponse(*ex.cors, ex.cors_origin, headers);
  }
  // R3.19: a route response op may set content-type; R1.20: content-length always.
  headers.set("content-length", std::to_string(body.size()));
  headers.set("date", worker_.date());
  headers.set("server", worker_.snapshot()->isGateway() ? "istio-envoy" : "envoy");
  bool close = reply.close_connection || ex.close_after || ex.prepared.connection_close ||
               !ex.request_complete || worker_.draining();
  if (close) {
    headers.set("connection", "close");
  }
  std::string out;
  appendResponseHead(out, status, headers);
  bool head_request = ex.request.method == "HEAD";
  if (!head_request) {
    out += body;
    ex.log.bytes_sent = body.size();
  }
  addFlags(ex, reply.flags);
  finish(ex, status, reply.details);
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out), kAwait);
  co_return !ec && !close;
}

template <typename Stream>
asio::awaitable<void> DownstreamConnection<Stream>::run() {
  error_code ec;
  tcp::endpoint remote = lowestLayer(socket_).remote_endpoint(ec);
  remote_ip_ = remote.address().to_string();
  remote_address_ = endpointText(remote);
  // R11.20 DOWNSTREAM_LOCAL_ADDRESS: the connection's own address, not the wildcard bound.
  tcp::endpoint local = lowestLayer(socket_).local_endpoint(ec);
  if (!ec && listener_.original_destination.empty()) {  // captured: the original destination
    listener_.local_address = endpointText(local);
  }
  lowestLayer(socket_).set_option(tcp::no_delay(true), ec);
  handle_ = worker_.registerConnection(&lowestLayer(socket_));
  WorkerStats& stats = worker_.stats();
  stats.downstream_cx_total += 1;
  stats.downstream_cx_active += 1;
  while (true) {
    if (in_.size() == 0) {
      // Between requests (no byte of the next one yet): closed at once on drain; otherwise the
      // read buffer goes back to the worker and the next request's bytes go into one taken
      // when they arrive (drained_read.h). An idle keep-alive connection holds no buffer and
      // no request's state (this frame only), and waits without a syscall.
      if (worker_.draining()) {
        break;
      }
      handle_->idle = true;
      handle_->since = Clock::now();
      worker_.returnBuffer(std::move(in_));
      if constexpr (std::is_same_v<Stream, tcp::socket>) {
        IdleRead target(*this);
        auto [rec, n] = co_await asyncReadLazy(socket_, target, kAwait);
        if (rec || n == 0) {
          break;
        }
        in_.commit(n);
      } else {  // TLS: the record layer reads ahead, so the buffer is taken first
        in_ = worker_.takeBuffer();
        auto [rec, n] = co_await socket_.async_read_some(in_.prepare(kReadChunk), kAwait);
        if (rec || n == 0) {
          break;
        }
        in_.commit(n);
      }
    }
    if (!co_await handleRequest()) {
      break;
    }
  }
  lowestLayer(socket_).shutdown(tcp::socket::shutdown_both, ec);
  lowestLayer(socket_).close(ec);
  stats.downstream_cx_active -= 1;
  worker_.unregisterConnection(handle_);
}

template <typename Stream>
asio::awaitable<bool> DownstreamConnection<Stream>::handleRequest() {
  // run() calls this with the first bytes of a request in in_.
  RequestParser parser;
  handle_->idle = false;
  handle_->reading_headers = true;
  handle_->since = Clock::now();  // R1.23: the headers timer starts at the first byte
  // Read until the request head is complete (Beast needs the head in one buffer).
  while (true) {
    if (in_.size() > 0) {
      error_code ec;
      size_t used = parser.put(in_.data(), ec);
      in_.consume(used);
      if (ec == boost::beast::http::error::need_more) {
        ec = {};
      } else if (ec) {
        Exchange ex = startExchange(Clock::now());
        CodecError error = parser.classify(ec);
        worker_.stats().codec_errors += 1;
        LocalReply reply;
        reply.status = error.status;
        reply.body = std::string(reasonPhrase(error.status));  // R1.4: the reason phrase
        reply.flags = "DPE";
        reply.details = error.details;
        reply.close_connection = true;
        co_await sendLocalReply(ex, reply, nullptr);
        co_return false;
      }
      if (parser.is_header_done()) {
        break;
      }
    }
    if (!co_await readMore()) {
      if (handle_->headers_timed_out) {  // R1.23: 408, the request was not fully received
        Exchange ex = startExchange(handle_->since);
        LocalReply reply;
        reply.status = 408;
        reply.body = "request header timeout";
        reply.details = "request_header_timeout";
        reply.close_connection = true;
        co_await sendLocalReply(ex, reply, nullptr);
      }
      co_return false;
    }
  }
  handle_->reading_headers = false;
  worker_.stats().downstream_rq_active += 1;
  struct ActiveGuard {
    WorkerStats& stats;
    ~ActiveGuard() { stats.downstream_rq_active -= 1; }
  } active_guard{worker_.stats()};

  Exchange ex = startExchange(Clock::now());
  ex.log.method = parser.method;
  ex.request_complete = parser.is_done();
  const Snapshot& snap = *ex.snapshot;
  DownstreamInfo downstream;
  downstream.gateway = snap.isGateway();
  downstream.tls = listener_.tls;
  downstream.remote_ip = remote_ip_;
  downstream.node_ip = worker_.settings().node_ip.empty() ? std::string_view(snap.config().proxy.ip)
                                                          : worker_.settings().node_ip;
  downstream.num_trusted_proxies = snap.config().proxy.num_trusted_proxies;
  std::optional<LocalReply> refused =
      prepareRequest(parser.method, parser.target, parser.version, std::move(parser.headers),
                     downstream, worker_.random(), ex.request, ex.prepared);
  ex.log.path = ex.request.path.empty() ? parser.target : ex.request.path;
  ex.log.authority = ex.request.authority;
  if (!listener_.original_destination.empty()) {
    ex.original_authority = listener_.original_destination;  // captured (R11.16)
  } else {
    ex.original_authority = ex.request.authority;
    if (ir::portStart(ex.request.authority) == std::string_view::npos) {
      ex.original_authority += ex.request.scheme == "https" ? ":443" : ":80";
    }
  }
  if (refused) {
    if (refused->flags == "DPE") {
      worker_.stats().codec_errors += 1;
      refused->body = std::string(reasonPhrase(refused->status));
    }
    co_return co_await sendLocalReply(ex, *refused, nullptr);
  }
  const http::HeaderMap& rh = ex.request.headers;
  auto header_or_empty = [&](std::string_view name) {
    std::optional<std::string_view> v = rh.get(name);
    return v ? std::string(*v) : std::string();
  };
  if (worker_.accessLog().enabled()) {  // copies only a log needs
    ex.log.request_id = header_or_empty("x-request-id");
    ex.log.user_agent = header_or_empty("user-agent");
    ex.log.x_forwarded_for = header_or_empty("x-forwarded-for");
  }

  // Route configuration: the listener's, or by the authority's port (sidecar explicit proxy).
  int32_t rc = listener_.route_config;
  if (!listener_.rds_name.empty() && snap.generation() != listener_.generation) {
    rc = snap.routeConfigIndex(listener_.rds_name);  // a reload since the connection began
  }
  if (rc < 0 && listener_.rds_name.empty()) {
    rc = snap.sidecarRouteConfig(authorityPort(ex.request.authority, ex.request.scheme));
  }
  LocalReply not_found;
  not_found.status = 404;
  not_found.flags = "NR";
  not_found.details = "route_not_found";
  if (rc < 0 && listener_.rds_name.empty()) {
    // No HTTP listener for this port: Istio sends the connection to virtualOutbound's catch-all
    // (R11.16). Explicit-proxy mode forwards the request to the authority's address (the
    // original destination) for PassthroughCluster, and closes for BlackHoleCluster.
    const std::string& catch_all = snap.sidecarCatchAllCluster();
    if (catch_all == "PassthroughCluster" && snap.clusterIndex(catch_all) >= 0) {
      static const xds::Route kPassthrough = [] {
        xds::Route r;
        r.action = xds::Route::ActionKind::kRoute;
        r.route.cluster = "PassthroughCluster";
        return r;
      }();
      ex.route = &kPassthrough;
      ex.log.upstream_cluster = catch_all;
      co_return co_await forward(ex, parser, snap.clusterIndex(catch_all), catch_all);
    }
    if (catch_all == "BlackHoleCluster") {
      addFlags(ex, "UH");
      ex.log.upstream_cluster = catch_all;
      finish(ex, 0, "-");
      co_return false;
    }
  }
  if (rc < 0) {
    co_return co_await sendLocalReply(ex, not_found, nullptr);
  }
  ir::RequestView view = ir::RequestView::create(ex.request.method, ex.request.scheme,
                                                 ex.request.authority, ex.request.path, rh.size());
  for (const http::Header& h : rh.entries()) {
    view.addHeader(h.name, h.value);
  }
  ir::RouteDecision decision = snap.route(static_cast<size_t>(rc), view);
  const xds::RouteConfiguration& route_config = snap.config().route_configs[rc];
  if (decision.virtual_host >= 0) {
    const xds::VirtualHost& vh = route_config.virtual_hosts[decision.virtual_host];
    // R14.7: require_tls answers before any route when x-forwarded-proto is not https.
    std::optional<std::string_view> xfp = rh.get("x-forwarded-proto");
    if (vh.require_tls && !(xfp && ascii::equalsIgnoreCase(*xfp, "https"))) {
      router::RedirectRequest rr;
      rr.scheme = ex.request.scheme;
      rr.authority = ex.request.authority;
      rr.path_with_query = ex.request.path;
      rr.forwarded_proto = xfp ? *xfp : std::string_view();
      http::HeaderMap extra(http::HeaderMap::Side::kResponse);
      extra.set("location", router::httpsRedirectLocation(rr));
      LocalReply reply;
      reply.status = 301;
      reply.details = "direct_response";
      co_return co_await sendLocalReply(ex, reply, nullptr, &extra);
    }
  }
  if (decision.kind != ir::RouteDecision::Kind::kRoute) {
    co_return co_await sendLocalReply(ex, not_found, nullptr);
  }
  const xds::Route& route =
      route_config.virtual_hosts[decision.virtual_host].routes[decision.route];
  ex.route = &route;
  ex.log.route_name = route.name;
  // Istio's filter order before the router (R0.1): fault, then CORS. Both see redirects and
  // direct responses too (R8.7).
  if (route.fault) {
    bool keep = false;
    if (!co_await injectFault(ex, *route.fault, keep)) {
      co_return keep;
    }
  }
  if (route.cors) {
    bool keep = false;
    if (co_await applyCors(ex, *route.cors, keep)) {
      co_return keep;
    }
  }
  switch (route.action) {
    case xds::Route::ActionKind::kRedirect: {  // R3.15–R3.17
      router::RedirectRequest rr;
      rr.scheme = ex.request.scheme;
      rr.authority = ex.request.authority;
      rr.path_with_query = ex.request.path;
      std::optional<std::string_view> xfp = rh.get("x-forwarded-proto");
      rr.forwarded_proto = xfp ? *xfp : std::string_view();
      http::HeaderMap extra(http::HeaderMap::Side::kResponse);
      extra.set("location", router::redirectLocation(route, rr));
      LocalReply reply;
      reply.status = route.redirect.response_code;
      reply.details = "direct_response";
      co_return co_await sendLocalReply(ex, reply, &route, &extra);
    }
    case xds::Route::ActionKind::kDirectResponse: {  // R3.19, R11.12
      LocalReply reply;
      reply.status = route.direct_response.status;
      reply.body = route.direct_response.body;
      reply.details = "direct_response";
      co_return co_await sendLocalReply(ex, reply, &route);
    }
    case xds::Route::ActionKind::kNone:
      co_return co_await sendLocalReply(ex, not_found, nullptr);
    case xds::Route::ActionKind::kRoute:
      break;
  }
  if (ex.prepared.other_upgrade) {  // R1.19, R11.14
    LocalReply reply;
    reply.status = 403;
    reply.details = "upgrade_failed";
    reply.close_connection = true;
    co_return co_await sendLocalReply(ex, reply, nullptr);
  }
  std::string cluster_name;
  if (!route.route.weighted.empty()) {  // R4.1, R4.2
    size_t pick = router::pickWeightedCluster(route.route.weighted, worker_.random()());
    ex.destination = &route.route.weighted[pick];
    cluster_name = ex.destination->name;
  } else {
    cluster_name = route.route.cluster;
  }
  ex.log.upstream_cluster = cluster_name;
  int32_t cluster_index = snap.clusterIndex(cluster_name);
  if (cluster_index < 0) {  // R4.4, R11.2
    LocalReply reply;
    reply.status = 503;
    reply.flags = "NC";
    reply.details = "cluster_not_found";
    co_return co_await sendLocalReply(ex, reply, nullptr);
  }
  co_return co_await forward(ex, parser, cluster_index, cluster_name);
}

template <typename Stream>
asio::awaitable<bool> DownstreamConnection<Stream>::injectFault(Exchange& ex,
                                                        const xds::FaultPolicy& fault,
                                                        bool& keep) {
  FilterCounters* counters = nullptr;
  auto count = [&]() -> FilterCounters& {
    if (counters == nullptr) {
      counters = &worker_.stats().filtersOf(listener_.listener_name);
    }
    return *counters;
  };
  // R8.4: the delay draw first; the abort draw after the delay (or at once without one).
  if (fault.delay_ns && router::fractionFires(fault.delay_per_million, worker_.random()())) {
    count().fault_delays_injected += 1;
    addFlags(ex, "DI");  // R8.6
    // The request (and its unread body) is held; the route timeout has not started (R6.2).
    asio::steady_timer timer(worker_.io());
    timer.expires_after(std::chrono::nanoseconds(*fault.delay_ns));
    handle_->delay_timer = &timer;  // closeAll() cuts the wait short (drain timeout, stop)
    auto [ec] = co_await timer.async_wait(kAwait);
    handle_->delay_timer = nullptr;
    if (ec || !lowestLayer(socket_).is_open()) {
      finish(ex, 0, "downstream_remote_disconnect");
      keep = false;
      co_return false;
    }
  }
  bool abort_configured = fault.abort_http_status || fault.abort_grpc_status;
  if (abort_configured && router::fractionFires(fault.abort_per_million, worker_.random()())) {
    count().fault_aborts_injected += 1;
    LocalReply reply;  // R8.5, R11.10: no upstream, no retry, no mirror
    reply.status = fault.abort_http_status ? *fault.abort_http_status : 200;
    reply.grpc_status = fault.abort_grpc_status;
    reply.body = "fault filter abort";
    reply.flags = "FI";
    reply.details = "fault_filter_abort";
    keep = co_await sendLocalReply(ex, reply, nullptr);
    co_return false;
  }
  co_return true;
}

template <typename Stream>
asio::awaitable<bool> DownstreamConnection<Stream>::applyCors(Exchange& ex, const xds::CorsPolicy& cors,
                                                      bool& keep) {
  router::CorsOutcome outcome = router::classifyCors(cors, ex.request.method, ex.request.headers,
                                                     ex.snapshot->routeActions());
  if (outcome.kind == router::CorsOutcome::Kind::kNotCors) {
    co_return false;
  }
  FilterCounters& counters = worker_.stats().filtersOf(listener_.listener_name);
  (outcome.origin_allowed ? counters.cors_origin_valid : counters.cors_origin_invalid) += 1;
  if (outcome.kind == router::CorsOutcome::Kind::kPreflight) {  // R10.3
    http::HeaderMap extra(http::HeaderMap::Side::kResponse);
    router::corsPreflightHeaders(cors, ex.request.headers, outcome.origin_allowed, extra);
    LocalReply reply;
    reply.status = 200;
    reply.details = "cors_response";
    reply.filter_encoded = true;  // no gRPC form, no route response header ops
    keep = co_await sendLocalReply(ex, reply, nullptr, &extra);
    co_return true;
  }
  if (outcome.origin_allowed) {
    ex.cors = &cors;
    ex.cors_origin = std::string(*ex.request.headers.get("origin"));
  }
  co_return false;
}

template <typename Stream>
asio::awaitable<bool> DownstreamConnection<Stream>::forward(Exchange& ex, RequestParser& parser,
                                                    int32_t cluster_index,
                                                    const std::string& cluster_name) {
  const xds::Route& route = *ex.route;
  http::ProxyRequest& request = ex.request;
  router::FormatContext ctx = formatContext(ex);
  router::finalizeRequest(route, ex.destination, request, ctx,  // R3.1 steps 3–6
                          ex.snapshot->routeActions());
  if (std::optional<std::string_view> op = request.headers.get("x-envoy-original-path")) {
    ex.log.path = std::string(*op);
  }
  ex.log.authority = request.authority;

  // Timeouts (R6.1–R6.4) and the retry policy (R7.1, R7.2) of this request.
  const xds::RetryPolicy* policy =
      route.route.retry_policy ? &*route.route.retry_policy : nullptr;
  const int64_t route_ns = route.route.timeout_ns;
  int64_t per_try_ns = policy && policy->per_try_timeout_ns ? *policy->per_try_timeout_ns : 0;
  if (route_ns > 0 && per_try_ns >= route_ns) {
    per_try_ns = 0;  // R6.4: ignored when not below the route timeout
  }
  uint32_t retries_left = policy ? policy->num_retries : 0;
  uint32_t retries_done = 0;
  std::optional<uint32_t> retry_on;  // parsed at the first decision that needs it
  auto retry_bits = [&]() -> uint32_t {
    if (!retry_on) {
      retry_on = policy ? ex.snapshot->routeActions()->retryOn(route) : 0;
    }
    return *retry_on;
  };
  auto set_attempt_headers = [&](uint32_t attempt, int64_t elapsed_ms) {  // R2.9, R2.10, R7.10
    request.headers.set("x-envoy-attempt-count", std::to_string(attempt));
    int64_t expected =
        router::expectedTimeoutMs(route_ns / 1'000'000, per_try_ns / 1'000'000, elapsed_ms);
    if (expected > 0) {
      request.headers.set("x-envoy-expected-rq-timeout-ms", std::to_string(expected));
    }
  };
  set_attempt_headers(1, 0);

  upstream::PickContext pick;
  if (!route.route.hash_policy.empty()) {  // R5.5, R5.6: after the header ops
    upstream::HashInputs inputs;
    inputs.request = &request;
    size_t q = request.path.find('?');
    inputs.query = q == std::string::npos ? std::string_view() : std::string_view(request.path).substr(q + 1);
    inputs.downstream_remote_ip = ex.prepared.client_ip;
    inputs.downstream_remote_address = remote_address_;
    inputs.downstream_local_address = listener_.local_address;
    upstream::HashResult hash = upstream::computeRequestHash(route.route.hash_policy, inputs);
    pick.hash = hash.hash;
    ex.set_cookie = std::move(hash.set_cookie);
  }
  std::shared_ptr<ClusterState> cluster = worker_.pool().cluster(*ex.snapshot, cluster_index);
  ClusterCounters* counters = nullptr;

  // Request framing towards the upstream (R13.3), the same for every attempt.
  bool chunked_up = parser.chunked();
  if (chunked_up) {
    request.headers.set("transfer-encoding", "chunked");
  } else if (!parser.content_length() && methodMayHaveBody(request.method) &&
             !ex.prepared.upgrade_websocket) {
    request.headers.set("content-length", "0");
  }
  auto frame_piece = [&](std::string& out, std::string_view piece) {
    if (chunked_up) {
      appendChunkHeader(out, piece.size());
      out.append(piece).append("\r\n");
    } else {
      out.append(piece);
    }
  };
  // R7.9: the body is kept for a retry up to Envoy's buffer limit; past it the request goes on
  // without retry protection (no retry, no URX).
  std::string retry_body;
  // R9.2: mirror policies test the request's one random value against their own fractions;
  // CONNECT is never mirrored.
  std::vector<int32_t> mirrors;
  if (!route.route.mirrors.empty() && request.method != "CONNECT") {
    uint64_t draw = worker_.random()();  // one value for every policy, as the stream id is
    for (const xds::MirrorPolicy& m : route.route.mirrors) {
      if (router::fractionFires(m.per_million, draw)) {
        int32_t index = ex.snapshot->clusterIndex(m.cluster);
        if (index >= 0) {  // R9.5: a mirror cluster Envoy does not know is skipped
          mirrors.push_back(index);
        }
      }
    }
  }
  bool buffering = retries_left > 0 || !mirrors.empty();
  bool retry_abandoned = false;
  auto append_body = [&](std::string& out, BodyPieces& body) {
    for (std::string_view piece : body.pieces) {
      frame_piece(out, piece);
      if (buffering) {
        if (retry_body.size() + piece.size() > kRetryBufferLimit) {
          buffering = false;
          retry_abandoned = true;
          retries_left = 0;
          mirrors.clear();  // R9.5: mirroring is abandoned too
          std::string().swap(retry_body);
          if (counters != nullptr) {
            counters->retry_or_shadow_abandoned += 1;
          }
        } else {
          retry_body.append(piece);
        }
      }
    }
    body.clear();
  };

  // R9.4–R9.6: mirrors go out once the primary request is forwarded (a host was chosen) and
  // its body is complete, with the primary's headers as finalised for the first attempt,
  // x-envoy-internal and the proxy's address appended to x-forwarded-for.
  std::string mirror_head;
  bool mirrors_armed = false;  // decided; waiting for the request body's end
  auto spawn_mirrors = [&] {
    mirrors_armed = false;
    if (mirrors.empty()) {
      return;
    }
    std::string body;  // the buffered body, and what the parser holds not yet sent upstream
    if (!retry_body.empty()) {
      frame_piece(body, retry_body);
    }
    for (std::string_view piece : parser.body.pieces) {
      frame_piece(body, piece);
    }
    if (chunked_up) {
      body.append(kLastChunk);
    }
    for (int32_t index : mirrors) {
      const std::string& name = ex.snapshot->config().clusters[index].name;
      asio::co_spawn(worker_.io(),
                     sendMirror(worker_, ex.snapshot, index, name, mirror_head + body,
                                request.method == "HEAD", route_ns),
                     asio::detached);
    }
    mirrors.clear();
  };

  // Timers (R6.2, R6.4). Their handlers only act while this request runs (TimerState::armed);
  // the state is allocated only when a route uses a timeout.
  std::shared_ptr<TimerState> timers;
  struct Disarm {
    std::shared_ptr<TimerState>& timers;
    ~Disarm() {
      if (timers) {
        timers->armed = false;
      }
    }
  } disarm{timers};
  std::optional<asio::steady_timer> route_timer, per_try_timer;
  Clock::time_point route_started{};
  tcp::socket* current_upstream = nullptr;  // the attempt's connection, for the timers
  auto timer_state = [&]() -> TimerState& {
    if (!timers) {
      timers = std::make_shared<TimerState>();
      timers->downstream = &lowestLayer(socket_);
      timers->upstream = current_upstream;
    }
    return *timers;
  };
  auto set_current_upstream = [&](tcp::socket* s) {
    current_upstream = s;
    if (timers) {
      timers->upstream = s;
    }
  };
  auto route_fired = [&] { return timers && timers->route_fired; };
  auto per_try_fired = [&] { return timers && timers->per_try_fired; };
  bool per_try_pending = false;  // the attempt's per-try timer waits for the request's end
  auto start_per_try = [&] {
    per_try_pending = false;
    if (per_try_ns <= 0) {
      return;
    }
    TimerState& t = timer_state();
    if (!per_try_timer) {
      per_try_timer.emplace(worker_.io());
    }
    per_try_timer->expires_after(std::chrono::nanoseconds(per_try_ns));
    per_try_timer->async_wait([state = timers, attempt = t.attempt](error_code ec) {
      if (ec || !state->armed || state->attempt != attempt || state->response_started) {
        return;  // R6.4: ignored once response bytes went downstream
      }
      state->per_try_fired = true;
      error_code ignored;
      if (state->upstream != nullptr) {
        state->upstream->cancel(ignored);
      }
    });
  };
  auto on_request_complete = [&] {  // R6.2: the route timer starts here
    if (route_ns > 0 && !route_timer) {
      timer_state();
      route_started = Clock::now();
      route_timer.emplace(worker_.io());
      route_timer->expires_after(std::chrono::nanoseconds(route_ns));
      route_timer->async_wait([state = timers](error_code ec) {
        if (ec || !state->armed) {
          return;
        }
        state->route_fired = true;
        error_code ignored;
        if (state->upstream != nullptr) {
          state->upstream->cancel(ignored);
        }
        if (state->backoff != nullptr) {
          state->backoff->cancel();
        }
        if (state->response_started) {  // R6.3: a started response is cut
          state->downstream->cancel(ignored);
        }
      });
    }
    if (per_try_pending) {
      start_per_try();
    }
    if (mirrors_armed) {
      spawn_mirrors();
    }
  };
  if (parser.is_done()) {  // headers with end of stream, or the body already read
    ex.request_complete = true;
    ex.request_completed_at = Clock::now();
    on_request_complete();
  }

  // R7.8: retries waiting to start count against the cluster's max_retries.
  struct RetrySlot {
    ClusterResources* res = nullptr;
    void release() {
      if (res != nullptr) {
        res->retries.fetch_sub(1, std::memory_order_relaxed);
        res = nullptr;
      }
    }
    ~RetrySlot() { release(); }
  } retry_slot;
  auto acquire_retry = [&] {
    ClusterResources* r = cluster ? cluster->resources.get() : nullptr;
    if (r == nullptr) {
      return true;
    }
    uint64_t limit = cluster->limits.max_retries;
    if (const std::optional<xds::RetryBudget>& budget = cluster->limits.retry_budget) {
      // R7.8: a share of the cluster's active and pending requests, at least the minimum.
      uint64_t load = r->requests.load(std::memory_order_relaxed) +
                      r->pending.load(std::memory_order_relaxed);
      limit = std::max<uint64_t>(budget->min_retry_concurrency,
                                 load * budget->budget_per_million / 1'000'000);
    }
    if (!ClusterResources::tryAcquire(r->retries, limit)) {
      return false;
    }
    retry_slot.res = r;
    return true;
  };

  // Every local reply of the attempt loop leaves through one exit (answer_out below): one
  // await site and one reply object in this coroutine's frame instead of one per exit.
  std::optional<LocalReply> answer;
  bool overloaded = false;  // the answer is a circuit-breaker overflow (R12.2)
  auto route_timeout_answer = [&] {  // R6.3, R11.9: the route timer fired before headers
    counters->upstream_rq_timeout += 1;
    answer = routeTimeoutReply();
  };
  bool no_retry = false;  // a 1xx was relayed: Envoy drops its retry state (R7.12, R13.5)
  boost::container::small_vector<int32_t, 4> tried_hosts;  // no allocation for 4 attempts
  uint32_t attempt = 0;
  while (true) {
    attempt += 1;
    if (timers) {
      timers->attempt = attempt;
      timers->per_try_fired = false;
    }
    set_current_upstream(nullptr);
    // Host choice; a retry asks the balancer up to host_selection_retry_max_attempts times for
    // a host this request has not tried (R7.6).
    int32_t host_index = -1;
    if (cluster && cluster->original_dst) {  // R11.16: the destination the client asked for
      host_index = cluster->originalDstHost(ex.original_authority);
    } else if (cluster && cluster->lb) {
      cluster->refreshHealth();  // R12.6: ejected hosts leave the balancer's set
      uint32_t tries = attempt > 1 && policy && policy->previous_hosts_predicate
                           ? std::max<uint32_t>(1, policy->host_selection_retry_max_attempts)
                           : 1;
      for (uint32_t i = 0; i < tries; ++i) {
        host_index = cluster->lb->pick(cluster->states, pick);
        if (std::find(tried_hosts.begin(), tried_hosts.end(), host_index) == tried_hosts.end()) {
          break;
        }
      }
    }
    if (host_index < 0 || !cluster->hosts[host_index].resolved) {  // R11.3
      answer.emplace();
      answer->status = 503;
      answer->body = "no healthy upstream";
      answer->flags = "UH";
      answer->details = "no_healthy_upstream";
      goto answer_out;
    }
    tried_hosts.push_back(host_index);
    UpstreamHost& host = cluster->hosts[host_index];
    ex.log.upstream_host = host.address;
    if (counters == nullptr) {
      counters = &worker_.stats().clusters[cluster_name];
    }
    counters->upstream_rq_total += 1;
    host.rq_total += 1;
    if (attempt == 1 && !mirrors.empty()) {
      const std::string& node_ip = worker_.settings().node_ip.empty()
                                       ? ex.snapshot->config().proxy.ip
                                       : worker_.settings().node_ip;
      http::ProxyRequest copy = request;
      copy.headers.set("x-envoy-internal", "true");
      std::string xff = copy.headers.joined("x-forwarded-for");
      copy.headers.set("x-forwarded-for", xff.empty() ? node_ip : xff + "," + node_ip);
      appendRequestHead(mirror_head, copy);
      mirrors_armed = true;
      if (ex.request_complete) {
        spawn_mirrors();
      }
    }
    struct ActiveRequest {  // read by LEAST_REQUEST
      std::shared_ptr<ClusterState> cluster;
      int32_t index;
      ActiveRequest(std::shared_ptr<ClusterState> c, int32_t i) : cluster(std::move(c)), index(i) {
        if (static_cast<size_t>(index) < cluster->states.size()) {
          cluster->states[index].active_requests += 1;
        }
      }
      void release() {
        if (index >= 0 && static_cast<size_t>(index) < cluster->states.size()) {
          cluster->states[index].active_requests -= 1;
        }
        index = -1;
      }
      ~ActiveRequest() { release(); }
    } active_request{cluster, host_index};

    std::optional<AttemptFailure> failure;  // the attempt ended before response headers

    ClusterResources* res = cluster->resources.get();
    const xds::CircuitBreakers& limits = cluster->limits;
    auto overflow_answer = [&] {  // R12.2, R11.8: never retried
      counters->upstream_rq_pending_overflow += 1;
      answer = resetReply(attemptFailure(router::UpstreamReset::kOverflow, "overflow"),
                          retries_done > 0, false);
      overloaded = true;
    };
    // R12.2: the request limit first; then an idle keep-alive connection; else the request
    // is pending (within http1MaxPendingRequests) until a new connection is up (within
    // maxConnections, or this worker has none to the host) or one is released.
    if (res != nullptr && res->requests.load(std::memory_order_relaxed) >= limits.max_requests) {
      overflow_answer();
      goto answer_out;
    }
    struct PendingSlot {
      ClusterResources* res = nullptr;
      WorkerStats* stats = nullptr;
      void release() {
        if (res != nullptr) {
          res->pending.fetch_sub(1, std::memory_order_relaxed);
          stats->upstream_rq_pending_active -= 1;
          res = nullptr;
        }
      }
      ~PendingSlot() { release(); }
    } pending_slot;
    PooledConnectionPtr connection = takeIdleConnection(worker_, host);
    bool have_connection = connection != nullptr;
    if (!have_connection && res != nullptr) {
      if (!ClusterResources::tryAcquire(res->pending, limits.max_pending_requests)) {
        overflow_answer();
        goto answer_out;
      }
      pending_slot.res = res;
      pending_slot.stats = &worker_.stats();
      worker_.stats().upstream_rq_pending_active += 1;
      counters->upstream_rq_pending_total += 1;
      bool overflow_counted = false;
      while (true) {
        bool pool_empty = host.idle.empty() && host.active == 0;
        bool below = res->connections.load(std::memory_order_relaxed) < limits.max_connections;
        if (!below && !overflow_counted) {
          counters->upstream_cx_overflow += 1;
          overflow_counted = true;
        }
        if (below || pool_empty) {
          break;  // a new connection (Envoy never starves a host pool that has none)
        }
        // Woken when a connection to this host is released here; the period re-checks for
        // capacity that other workers freed.
        asio::steady_timer wait(worker_.io());
        wait.expires_after(std::chrono::milliseconds(50));
        struct Waiting {  // leaves the queue however the wait ends
          std::deque<asio::steady_timer*>& queue;
          asio::steady_timer* timer;
          ~Waiting() { std::erase(queue, timer); }
        } waiting{host.waiters, &wait};
        host.waiters.push_back(&wait);
        {
          CutByRouteTimer cut(timers.get(), wait);
          co_await wait.async_wait(kAwait);
        }
        if (route_fired()) {
          route_timeout_answer();
          goto answer_out;
        }
        if (worker_.closing()) {  // shutting down: stop waiting
          overflow_answer();
          goto answer_out;
        }
        connection = takeIdleConnection(worker_, host);
        if (connection) {
          have_connection = true;
          break;
        }
      }
    }
    HostUse release(host);  // the connection goes back (or closes) before this runs
    if (!have_connection) {
      connection = std::make_shared<PooledConnection>(worker_.io(), cluster->resources);
    }
    tcp::socket& upstream = connection->socket;
    set_current_upstream(&upstream);  // the route timer can cut a connect short
    if (!have_connection) {
      failure = co_await connectUpstream(worker_, *cluster, host, *counters, upstream);
      if (route_fired()) {
        set_current_upstream(nullptr);
        if (!failure) {  // connected as the timer fired: never used
          releaseConnection(worker_, *cluster, host, std::move(connection), false);
        }
        route_timeout_answer();
        goto answer_out;
      }
      if (failure && !failure->transport.empty()) {  // R11.20
        ex.log.upstream_transport_failure_reason = underscored(failure->transport);
      }
    }
    pending_slot.release();
    RequestSlot attached;
    if (!failure) {
      // R12.2: the request limit holds when the request is attached to its connection too.
      if (res != nullptr && !ClusterResources::tryAcquire(res->requests, limits.max_requests)) {
        // An idle connection goes back to the pool; a new one, unused, closes. The timers
        // must not reach it after that.
        set_current_upstream(nullptr);
        releaseConnection(worker_, *cluster, host, std::move(connection), have_connection);
        overflow_answer();
        goto answer_out;
      }
      attached.hold(res);
      connection->requests += 1;
    }
    auto record_outlier = [&](uint32_t status) {  // R12.5
      if (res != nullptr && res->outlier.enabled()) {
        res->outlier.record(host.address, OutlierResult{status}, Clock::now());
      }
    };

    bool upstream_reusable = false;
    uint32_t sent_status = 0;
    bool downstream_broken = false;
    bool upload_failed = false;
    bool retry_response = false;  // the response's headers asked for a retry (R7.3)
    if (!failure) {
      handle_->upstream = &upstream;  // closeAll() reaches it (drain timeout, shutdown)
      struct ForgetUpstream {
        Worker::ConnectionHandle& handle;
        ~ForgetUpstream() { handle.upstream = nullptr; }
      } forget_upstream{*handle_};
      error_code local_ec;
      if (worker_.accessLog().enabled()) {  // a getsockname() per request otherwise wasted
        ex.log.upstream_local_address = endpointText(upstream.local_endpoint(local_ec));
      }
      std::string head;
      head.reserve(512 + retry_body.size());
      appendRequestHead(head, request);
      if (!retry_body.empty()) {  // R7.10: the same request again, body included
        frame_piece(head, retry_body);
      }
      append_body(head, parser.body);  // what came with the head and no attempt sent yet
      if (parser.is_done() && chunked_up) {
        head.append(kLastChunk);
      }
      ex.log.bytes_received = parser.body_bytes;
      // R6.4: the per-try timer starts now that the connection is ready, or when the request
      // completes.
      if (ex.request_complete) {
        start_per_try();
      } else {
        per_try_pending = true;
      }
      bool request_sent = false;
      bool upstream_failed = false;
      {
        auto [ec, n] = co_await asio::async_write(upstream, asio::buffer(head), kAwait);
        upstream_failed = static_cast<bool>(ec);
        request_sent = n > 0;
      }
      bool stop_upload = false;  // the attempt ended before the body did (retry or answer)
      bool response_done = false;

      // The rest of the request body streams up while the response is read (100-continue,
      // R1.18; early responses, R13.6).
      auto upload = [&]() -> asio::awaitable<void> {
        std::string chunk;
        bool starved = false;  // the parser needs more bytes than the buffer holds
        while (!parser.is_done() && !upstream_failed && !response_done && !stop_upload) {
          if (in_.size() == 0 || starved) {
            if (!co_await readMore()) {
              if (stop_upload) {
                co_return;
              }
              upload_failed = true;
              error_code ignored;
              upstream.cancel(ignored);
              co_return;
            }
          }
          error_code ec;
          size_t used = parser.put(in_.data(), ec);
          starved = ec == boost::beast::http::error::need_more && used == 0;
          if (ec && ec != boost::beast::http::error::need_more) {
            upload_failed = true;  // a malformed body: the request cannot be completed
            error_code ignored;
            upstream.cancel(ignored);
            co_return;
          }
          chunk.clear();
          append_body(chunk, parser.body);
          in_.consume(used);
          if (parser.is_done() && chunked_up) {
            chunk.append(kLastChunk);
          }
          if (parser.is_done()) {
            ex.request_complete = true;
            ex.request_completed_at = Clock::now();
            ex.log.bytes_received = parser.body_bytes;
            on_request_complete();
          }
          if (!chunk.empty()) {
            auto [wec, n] = co_await asio::async_write(upstream, asio::buffer(chunk), kAwait);
            request_sent = request_sent || n > 0;
            if (wec || stop_upload) {
              upstream_failed = upstream_failed || static_cast<bool>(wec);
              co_return;
            }
          }
        }
        ex.log.bytes_received = parser.body_bytes;
      };

      // Why the upstream side ended before response headers, once the client is known to be
      // still there: a timer, or the upstream closing.
      auto reset_before_headers = [&] {
        AttemptFailure f = per_try_fired()
                               ? attemptFailure(router::UpstreamReset::kPerTryTimeout, "")
                               : connectionTermination();
        f.request_sent = request_sent;
        return f;
      };
      auto end_upload = [&] {  // the attempt is over: a pending body read or write stops
        if (!parser.is_done()) {
          stop_upload = true;
          error_code ignored;
          lowestLayer(socket_).cancel(ignored);
          upstream.cancel(ignored);
        }
      };

      // Reads the response and relays it; sent_status is the status sent (0 = nothing sent).
      auto download = [&]() -> asio::awaitable<void> {
        // A pooled buffer: no 16 KiB allocation per request; returned empty when done.
        boost::beast::flat_buffer upin = worker_.takeBuffer();
        struct ReturnBuffer {
          Worker& worker;
          boost::beast::flat_buffer& buffer;
          ~ReturnBuffer() { worker.returnBuffer(std::move(buffer)); }
        } return_upin{worker_, upin};
        std::optional<ResponseParser> rp;
        while (true) {  // 1xx responses come before the final one (R13.5)
          rp.emplace();
          if (request.method == "HEAD") {
            rp->skip(true);
          }
          while (!rp->is_header_done()) {
            if (upin.size() > 0) {
              error_code ec;
              size_t used = rp->put(upin.data(), ec);
              upin.consume(used);
              if (ec == boost::beast::http::error::need_more) {
                ec = {};
              } else if (ec) {  // R11.7, R13.7
                ex.close_after = true;
                failure = attemptFailure(router::UpstreamReset::kProtocolError, "protocol error");
                failure->request_sent = request_sent;
                failure->status = rp->error ? rp->error->status : 502u;
                end_upload();
                co_return;
              }
              if (rp->is_header_done()) {
                break;
              }
            }
            // No EAGAIN read and no epoll_ctl here: the last read of this socket came back
            // short, so the reactor queues this one until it turns readable (drained_read.h).
            auto [ec, n] =
                co_await asyncReadDrained(upstream, upin.prepare(kReadChunk), kAwait);
            // A timer that fired while this read's completion was queued cancelled nothing.
            if (ec || n == 0 || route_fired() || per_try_fired()) {
              if (upload_failed) {
                co_return;  // the client went away; nothing to answer
              }
              if (!route_fired()) {
                failure = reset_before_headers();
              }
              end_upload();
              co_return;
            }
            upin.commit(n);
          }
          unsigned status = rp->status;
          if (status >= 100 && status < 200 && status != 101) {
            if (status == 100 || status == 102 || status == 103 || status == 104) {
              http::HeaderMap h1 = std::move(rp->headers);
              bool ignored = false;
              prepareResponseHeaders(h1, "", worker_.date(), false, &ignored);
              h1.remove("server");
              h1.remove("date");
              std::string out;
              appendResponseHead(out, status, h1);
              no_retry = true;  // R7.12: a response byte went downstream
              auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out), kAwait);
              if (ec) {
                downstream_broken = true;
                co_return;
              }
            }
            continue;
          }
          break;
        }
        ResponseParser& r = *rp;
        if (res != nullptr && res->outlier.enabled()) {  // R12.5: gRPC counts as its HTTP code
          uint32_t for_outlier = r.status;
          if (r.status < 500 && router::isGrpcRequest(request.headers)) {
            if (std::optional<std::string_view> g = r.headers.get("grpc-status")) {
              uint32_t code = 0;
              auto [end, ec] = std::from_chars(g->data(), g->data() + g->size(), code);
              if (ec == std::errc() && end == g->data() + g->size()) {
                for_outlier = router::httpStatusForGrpc(code);
              }
            }
          }
          record_outlier(for_outlier);
        }
        // R7.3, R7.11: a response the policy retries is dropped while retries remain; the
        // last one goes to the client as it is, flagged URX (UO when the retry circuit
        // breaker refused the retry, R7.8).
        // (A 2xx/3xx without grpc-status or x-envoy-ratelimited and no retriable status codes
        // matches no token: the policy's bits are not even looked up.)
        bool may_retry = policy != nullptr && !retry_abandoned &&
                         (r.status >= 400 || !policy->retriable_status_codes.empty() ||
                          r.headers.has("grpc-status") || r.headers.has("x-envoy-ratelimited"));
        if (may_retry && router::retryOnResponse(retry_bits(), policy->retriable_status_codes,
                                                 r.status, r.headers)) {
          retry_slot.release();  // the retry it held (if any) is decided now (R7.8)
          if (retries_left > 0 && !route_fired() && !no_retry && !worker_.closing()) {
            if (acquire_retry()) {
              retry_response = true;
              end_upload();
              co_return;
            }
            addFlags(ex, "UO");
            counters->upstream_rq_retry_overflow += 1;
          } else {
            addFlags(ex, "URX");
            counters->upstream_rq_retry_limit_exceeded += 1;
          }
        } else if (retries_done > 0) {
          retry_slot.release();
          counters->upstream_rq_retry_success += 1;
        }
        bool upgraded = r.status == 101 && ex.prepared.upgrade_websocket;
        bool upstream_close = false;
        prepareResponseHeaders(r.headers, ex.snapshot->isGateway() ? "istio-envoy" : "envoy",
                               worker_.date(), upgraded, &upstream_close);
        if (ex.request_complete) {  // R2.11
          auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              Clock::now() - ex.request_completed_at);
          ex.log.upstream_service_time = std::to_string(ms.count());
          r.headers.set("x-envoy-upstream-service-time", ex.log.upstream_service_time);
        }
        router::finalizeResponseHeaders(*ex.route, ex.destination, r.headers, ctx);  // R3.9
        if (ex.cors != nullptr) {  // R10.4
          router::corsDecorateResponse(*ex.cors, ex.cors_origin, r.headers);
        }
        if (!ex.set_cookie.empty()) {
          r.headers.addRaw("set-cookie", ex.set_cookie);  // R5.5
        }
        bool no_body = statusHasNoBody(r.status) || request.method == "HEAD";
        bool chunked_down = false;
        if (!no_body && !upgraded) {
          if (r.content_length()) {
            r.headers.set("content-length", std::to_string(*r.content_length()));
          } else {
            chunked_down = true;  // R1.20: chunked and close-delimited bodies go out chunked
            r.headers.set("transfer-encoding", "chunked");
          }
        }
        bool close = ex.prepared.connection_close || worker_.draining() || !ex.request_complete;
        if (close && !upgraded) {
          r.headers.set("connection", "close");
          ex.close_after = true;
        }
        std::string out;
        appendResponseHead(out, r.status, r.headers);
        sent_status = r.status;
        if (timers) {
          timers->response_started = true;  // R6.4, R7.12: no retry, no per-try timeout now
        }
        uint64_t body_sent = 0;
        auto append_response_body = [&](std::string& buf) {
          for (std::string_view piece : r.body.pieces) {
            body_sent += piece.size();
            if (chunked_down) {
              appendChunkHeader(buf, piece.size());
              buf.append(piece).append("\r\n");
            } else {
              buf.append(piece);
            }
          }
          r.body.clear();
        };
        append_response_body(out);
        if (r.is_done() && chunked_down) {
          out.append(kLastChunk);
        }
        if (upgraded) {  // R1.19: from here on a byte pipe both ways
          auto rest = upin.data();
          out.append(static_cast<const char*>(rest.data()), rest.size());
          upin.consume(upin.size());
        }
        auto cut_by_route_timer = [&] {  // R6.3: the client connection is reset, flagged UT
          ex.close_after = true;
          addFlags(ex, "UT");
          counters->upstream_rq_timeout += 1;
          downstream_broken = true;
        };
        {
          auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out), kAwait);
          if (ec) {
            if (route_fired()) {
              cut_by_route_timer();
            }
            downstream_broken = true;
            co_return;
          }
        }
        if (upgraded) {
          if (timers) {
            timers->armed = false;  // R6.2: the upgrade succeeded; the route timer is disarmed
          }
          ex.close_after = true;
          std::string up_bytes;
          auto rest = in_.data();
          up_bytes.append(static_cast<const char*>(rest.data()), rest.size());
          in_.consume(in_.size());
          if (!up_bytes.empty()) {
            co_await asio::async_write(upstream, asio::buffer(up_bytes), kAwait);
          }
          auto pipe = [](auto& from, auto& to) -> asio::awaitable<void> {
            std::array<char, kReadChunk> buf;
            while (true) {
              auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), kAwait);
              if (ec || n == 0) {
                break;
              }
              auto [wec, w] = co_await asio::async_write(to, asio::buffer(buf.data(), n), kAwait);
              if (wec) {
                break;
              }
            }
            error_code ignored;
            lowestLayer(to).shutdown(tcp::socket::shutdown_send, ignored);
          };
          co_await (pipe(socket_, upstream) && pipe(upstream, socket_));
          co_return;
        }
        bool starved = false;  // a partial chunk header: read more before parsing again
        while (!r.is_done()) {
          if (upin.size() == 0 || starved) {
            auto [ec, n] = co_await asyncReadDrained(upstream, upin.prepare(kReadChunk), kAwait);
            if (route_fired()) {
              cut_by_route_timer();
              co_return;
            }
            if (ec == asio::error::eof && r.need_eof()) {
              error_code fec;
              r.put_eof(fec);
              break;
            }
            if (ec || n == 0) {
              if (route_fired()) {
                cut_by_route_timer();
                co_return;
              }
              ex.close_after = true;  // R11.15: reset after headers: the client connection closes
              addFlags(ex, "UC");
              downstream_broken = true;
              co_return;
            }
            upin.commit(n);
          }
          error_code ec;
          size_t used = r.put(upin.data(), ec);
          starved = ec == boost::beast::http::error::need_more && used == 0;
          if (ec && ec != boost::beast::http::error::need_more) {
            ex.close_after = true;
            addFlags(ex, "UPE");
            downstream_broken = true;
            co_return;
          }
          std::string chunk;
          append_response_body(chunk);
          upin.consume(used);
          if (r.is_done() && chunked_down) {
            chunk.append(kLastChunk);
          }
          if (r.is_done() && timers) {
            timers->armed = false;  // the upstream response is complete: the timer ends (R6.2)
          }
          if (!chunk.empty()) {
            auto [wec, n] = co_await asio::async_write(socket_, asio::buffer(chunk), kAwait);
            if (wec || route_fired()) {
              if (route_fired()) {
                cut_by_route_timer();
              }
              downstream_broken = true;
              co_return;
            }
          }
        }
        ex.log.bytes_sent = body_sent;
        upstream_reusable = !upstream_close && r.keep_alive() && upin.size() == 0 && r.is_done();
        response_done = true;
        if (!parser.is_done()) {  // R13.6: answered before the request body ended
          ex.close_after = true;
          error_code ignored;
          lowestLayer(socket_).cancel(ignored);
        }
      };

      if (route_fired()) {
        // the route timer fired while the request went out: answered below
      } else if (upstream_failed || per_try_fired()) {  // closed while we wrote the request
        failure = reset_before_headers();
      } else if (ex.request_complete) {
        co_await download();
      } else {
        co_await (upload() && download());
      }
      if (per_try_timer) {
        per_try_timer->cancel();
      }
      set_current_upstream(nullptr);
      bool reusable = upstream_reusable && ex.request_complete && !upload_failed &&
                      !upstream_failed && !failure && !retry_response;
      releaseConnection(worker_, *cluster, host, std::move(connection), reusable);
      if (sent_status != 0) {  // a response went to the client: this attempt was the last
        if (sent_status >= 500) {
          host.rq_error += 1;
        } else {
          host.rq_success += 1;
        }
        finish(ex, sent_status, "via_upstream");
        co_return !downstream_broken && !ex.close_after && !upload_failed;
      }
      if (upload_failed || downstream_broken) {  // the client went away: nothing to answer
        finish(ex, 0, upload_failed ? "downstream_remote_disconnect" : "upstream_reset");
        co_return false;
      }
    }

    // The attempt ended without a response for the client: a reset, a timer, or a response
    // the policy retries. Its connection is closed or pooled: the timers let go of it (a
    // failed connect leaves here with the pointer still set).
    set_current_upstream(nullptr);
    host.rq_error += 1;
    if (route_fired()) {  // R6.3: never retried
      record_outlier(504);
      route_timeout_answer();
      goto answer_out;
    }
    bool wants_retry = retry_response;
    if (failure) {
      record_outlier(failure->reset == router::UpstreamReset::kPerTryTimeout ? 504 : 503);
      if (failure->reset == router::UpstreamReset::kPerTryTimeout) {
        counters->upstream_rq_per_try_timeout += 1;
      }
      wants_retry = policy != nullptr && !retry_abandoned &&
                    router::retryOnReset(retry_bits(), failure->reset, failure->request_sent);
    }
    if (!retry_response) {
      retry_slot.release();  // this attempt's outcome is decided: its retry slot goes (R7.8)
    }
    if (no_retry || worker_.closing()) {
      wants_retry = false;  // a 1xx went downstream (R7.12), or the worker is shutting down
    }
    bool retry_refused = false;
    if (wants_retry && retries_left > 0 && !retry_response && !acquire_retry()) {
      addFlags(ex, "UO");  // R7.8: the retry circuit breaker is full
      counters->upstream_rq_retry_overflow += 1;
      retry_refused = true;
    }
    if (wants_retry && retries_left > 0 && !retry_refused) {
      retries_left -= 1;
      retries_done += 1;
      counters->upstream_rq_retry += 1;
      // This attempt holds nothing through the back-off: its connection is closed, and the
      // request counts neither as active nor against the request limit (R12.2).
      attached.release();
      release.release();
      active_request.release();
      connection.reset();
      // R7.7: the jittered back-off, cut short by the route timer.
      uint64_t base_ms = policy->base_interval_ns ? *policy->base_interval_ns / 1'000'000 : 25;
      asio::steady_timer backoff(worker_.io());
      backoff.expires_after(std::chrono::milliseconds(
          router::backoffMs(base_ms, retries_done, worker_.random()())));
      {
        CutByRouteTimer cut(timers.get(), backoff);
        co_await backoff.async_wait(kAwait);
      }
      if (route_fired()) {
        route_timeout_answer();
        goto answer_out;
      }
      int64_t elapsed_ms = route_timer ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                             Clock::now() - route_started)
                                             .count()
                                       : 0;
      set_attempt_headers(attempt + 1, elapsed_ms);
      continue;
    }
    if (!failure) {  // not reached: every path without a response sets one
      failure = connectionTermination();
    }
    bool exhausted = wants_retry && !retry_refused;  // R7.11: wanted another try, none left
    if (exhausted) {
      counters->upstream_rq_retry_limit_exceeded += 1;
    }
    answer = resetReply(*failure, retries_done > 0, exhausted);
    break;
  }
answer_out:
  http::HeaderMap extra(http::HeaderMap::Side::kResponse);
  if (overloaded) {
    extra.set("x-envoy-overloaded", "true");
  }
  co_return co_await sendLocalReply(ex, *answer, nullptr, overloaded ? &extra : nullptr);
}

}  // namespace

asio::awaitable<void> serveDownstream(Worker& worker, tcp::socket socket,
                                      ListenerContext listener) {
  DownstreamConnection<tcp::socket> connection(worker, std::move(socket), std::move(listener));
  co_await connection.run();
}

asio::awaitable<void> serveDownstream(Worker& worker, TlsStream stream, ListenerContext listener) {
  listener.tls = true;
  DownstreamConnection<TlsStream> connection(worker, std::move(stream), std::move(listener));
  co_await connection.run();
}

}  // namespace meshc::proxy
