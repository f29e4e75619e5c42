// libFuzzer target over meshproxy's HTTP/1.1 codec and connection manager (runtime/proxy):
// bytes as a client would send them to a downstream connection, or as an upstream would answer.
// Entry point: LLVMFuzzerTestOneInput. The first input byte picks the direction and the size of
// the reads the bytes arrive in; the rest is the stream. Oracles (abort on violation):
//  - split invariance: the parse outcome (error class, or method/target/headers/body bytes) is
//    the same whether the stream arrives whole or in reads of k bytes, once both are final (an
//    error or a complete head). Beast parses a start line it once found incomplete again only
//    when the head's blank line arrives, so a bad request line without one is an error when it
//    arrives whole and "need more" when it trickles in: timing, not meaning, and not a failure;
//  - limits hold for every accepted head (R1.1, R1.2) and framing is unambiguous: never both
//    Content-Length and Transfer-Encoding, Transfer-Encoding only as exactly "chunked", a known
//    method (R1.5, R1.6);
//  - what goes upstream re-parses: a request that prepareRequest accepts, written with
//    appendRequestHead and the framing the proxy would use, parses back with no error to the same
//    method, path and header lines, with no hop-by-hop header left (R2.1) — a proxy that
//    forwards an ambiguous request enables request smuggling;
//  - a response head the proxy relays (prepareResponseHeaders + appendResponseHead) re-parses
//    with the same status and header lines, without connection/transfer-encoding (R2.16).
#include <boost/beast/http/error.hpp>
#include <boost/optional.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/ascii.h"
#include "proxy/codec.h"
#include "proxy/connection_manager.h"

namespace {

using meshc::proxy::RequestParser;
using meshc::proxy::ResponseParser;
namespace bhttp = boost::beast::http;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_proxy_codec oracle violated: %s\n", what);
  std::abort();
}

struct Outcome {
  bool error = false;
  uint32_t status = 0;  // the error's answer, or the response status
  bool header_done = false;
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;
  uint64_t body_bytes = 0;
  bool operator==(const Outcome&) const = default;
  bool final() const { return error || header_done; }
};

// Split invariance as stated at the top.
bool consistent(const Outcome& a, const Outcome& b) {
  if (a.final() && b.final()) {
    return a == b;
  }
  return !(a.header_done && !a.error) && !(b.header_done && !b.error);
}

template <class Parser>
void collect(Parser& p, Outcome& out) {
  out.header_done = p.is_header_done();
  for (const auto& h : p.headers.entries()) {
    out.headers.emplace_back(h.name, h.value);
  }
  out.body_bytes = p.body_bytes;
}

// Feeds `data` in reads of `step` bytes (0 = all at once), as the connection does: unconsumed
// bytes stay buffered and the next read is appended.
template <class Parser>
Outcome feed(Parser& p, std::string_view data, size_t step) {
  Outcome out;
  std::string buffer;
  size_t offset = 0;
  while (offset < data.size() || !buffer.empty()) {
    size_t n = step == 0 ? data.size() - offset : std::min(step, data.size() - offset);
    buffer.append(data.substr(offset, n));
    offset += n;
    boost::system::error_code ec;
    size_t used = p.put(boost::asio::buffer(buffer.data(), buffer.size()), ec);
    buffer.erase(0, used);
    p.body.clear();
    if (ec == bhttp::error::need_more) {
      if (offset >= data.size()) {
        break;
      }
      continue;
    }
    if (ec) {
      out.error = true;
      if constexpr (std::is_same_v<Parser, RequestParser>) {
        out.status = p.classify(ec).status;
      } else {
        out.status = 0;
      }
      return out;
    }
    if (p.is_done()) {
      break;  // one message; the rest would be the next request
    }
    if (used == 0 && offset >= data.size()) {
      break;
    }
  }
  collect(p, out);
  return out;
}

void checkRequestHead(const RequestParser& p) {
  size_t bytes = p.target.size() + p.headers.byteSize();
  if (bytes > meshc::proxy::kMaxRequestHeadersBytes) fail("R1.1 header budget exceeded");
  if (p.headers.size() > meshc::proxy::kMaxRequestHeaders) fail("R1.2 header count exceeded");
  if (p.headers.has("content-length") && p.headers.has("transfer-encoding")) {
    fail("R1.5 CL and TE both accepted");
  }
  if (p.headers.count("content-length") > 1) fail("R1.5 duplicate CL accepted");
  if (auto te = p.headers.get("transfer-encoding")) {
    if (!meshc::ascii::equalsIgnoreCase(*te, "chunked")) fail("R1.5 TE other than chunked");
  }
  if (!meshc::proxy::isKnownMethod(p.method)) fail("R1.6 unknown method accepted");
}

void checkForwarded(RequestParser& parsed) {
  meshc::proxy::DownstreamInfo downstream;
  downstream.gateway = (parsed.target.size() & 1) == 0;  // both kinds, deterministically
  downstream.remote_ip = "10.1.2.3";
  downstream.node_ip = "10.0.0.1";
  std::mt19937_64 random(7);
  meshc::http::ProxyRequest request;
  meshc::proxy::PreparedRequest prepared;
  bool chunked = parsed.chunked();
  boost::optional<std::uint64_t> length = parsed.content_length();
  auto refused = meshc::proxy::prepareRequest(parsed.method, parsed.target, parsed.version,
                                              std::move(parsed.headers), downstream, random,
                                              request, prepared);
  if (refused) {
    return;
  }
  if (request.path.empty() || request.path[0] != '/') fail("forwarded path does not start with /");
  for (std::string_view hop : {"keep-alive", "proxy-connection", "transfer-encoding"}) {
    if (request.headers.has(hop)) fail("R2.1 hop-by-hop header forwarded");
  }
  if (!prepared.upgrade_websocket &&
      (request.headers.has("connection") || request.headers.has("upgrade"))) {
    fail("R2.1 connection/upgrade forwarded without a websocket upgrade");
  }
  auto xfp = request.headers.get("x-forwarded-proto");
  if (downstream.gateway && (!xfp || (*xfp != "http" && *xfp != "https"))) {
    fail("R2.4 x-forwarded-proto not http/https on a gateway");
  }
  // Framing as the connection writes it (R13.3).
  if (chunked) {
    request.headers.set("transfer-encoding", "chunked");
  } else if (length) {
    request.headers.set("content-length", std::to_string(*length));
  }
  std::string head;
  meshc::proxy::appendRequestHead(head, request);
  RequestParser again;
  boost::system::error_code ec;
  again.put(boost::asio::buffer(head.data(), head.size()), ec);
  if (ec && ec != bhttp::error::need_more) {
    std::fprintf(stderr, "%s\n---\n%s\n", ec.message().c_str(), head.c_str());
    fail("the request the proxy writes upstream does not re-parse");
  }
  if (!again.is_header_done()) fail("the upstream request head is incomplete");
  if (again.method != request.method) fail("method changed on the wire");
  if (again.target != request.path) fail("path changed on the wire");
  // Every line the proxy holds goes out once, plus the host line written from :authority.
  size_t expected = request.headers.size() + (request.headers.has("host") ? 0 : 1);
  if (again.headers.size() != expected) fail("header lines lost or split on the wire");
}

void checkResponse(ResponseParser& parsed) {
  if (parsed.headers.size() > meshc::proxy::kMaxResponseHeaders) fail("R13.7 header count");
  bool upstream_close = false;
  meshc::http::HeaderMap headers = std::move(parsed.headers);
  meshc::proxy::prepareResponseHeaders(headers, "istio-envoy", "Thu, 01 Jan 2026 00:00:00 GMT",
                                       false, &upstream_close);
  for (std::string_view hop : {"connection", "transfer-encoding", "keep-alive",
                               "proxy-connection", "upgrade"}) {
    if (headers.has(hop)) fail("R2.16 hop-by-hop response header relayed");
  }
  if (headers.get("server") != std::optional<std::string_view>("istio-envoy")) {
    fail("R1.21 server not overwritten");
  }
  std::string head;
  unsigned status = parsed.status;
  meshc::proxy::appendResponseHead(head, status, headers);
  ResponseParser again;
  boost::system::error_code ec;
  again.put(boost::asio::buffer(head.data(), head.size()), ec);
  if (ec && ec != bhttp::error::need_more) {
    std::fprintf(stderr, "%s\n---\n%s\n", ec.message().c_str(), head.c_str());
    fail("the relayed response head does not re-parse");
  }
  if (!again.is_header_done()) fail("the relayed response head is incomplete");
  if (again.status != status) fail("status changed on the wire");
  if (again.headers.size() != headers.size()) fail("response header lines lost on the wire");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  bool response = (data[0] & 0x80) != 0;
  size_t step = (data[0] & 0x7F) % 17;  // 0 = whole, else reads of 1..16 bytes
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  if (!response) {
    RequestParser whole, pieces;
    Outcome a = feed(whole, stream, 0);
    if (step != 0) {
      Outcome b = feed(pieces, stream, step);
      if (!consistent(a, b)) {
        std::fprintf(stderr, "whole: error=%d status=%u header_done=%d; split(%zu): error=%d "
                     "status=%u header_done=%d\n", a.error, a.status, a.header_done, step,
                     b.error, b.status, b.header_done);
        fail("request parse depends on how the bytes were split");
      }
    }
    if (!a.error && whole.is_header_done()) {
      checkRequestHead(whole);
      checkForwarded(whole);
    }
  } else {
    ResponseParser whole, pieces;
    Outcome a = feed(whole, stream, 0);
    if (step != 0) {
      Outcome b = feed(pieces, stream, step);
      if (!consistent(a, b)) fail("response parse depends on how the bytes were split");
    }
    if (!a.error && whole.is_header_done()) {
      checkResponse(whole);
    }
  }
  return 0;
}
