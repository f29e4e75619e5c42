// libFuzzer target over meshproxy's listener filters (runtime/proxy/inspector.h): the TLS
// inspector's ClientHello reading (OpenSSL on a memory BIO) and the HTTP inspector's request-line
// sniffing, on bytes as a client's first flight. Oracles (abort on violation):
//  - a decision is final: when a prefix of the bytes already decides (TLS or not, HTTP or not),
//    the whole input decides the same, with the same SNI, ALPN and HTTP version — more bytes
//    can only complete a ClientHello or a request line, never change what was read;
//  - the HTTP inspector's "yes" is a request line: a method token, a space, a target, a space,
//    "HTTP/1.0" or "HTTP/1.1", a line end (or the exact HTTP/2 preface);
//  - SNI and ALPN are no longer than the bytes that carried them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/inspector.h"

namespace {

using meshc::proxy::ClientHelloInfo;
using meshc::proxy::Inspected;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_inspector: %s\n", what);
  std::abort();
}

void checkTls(std::string_view bytes) {
  ClientHelloInfo whole;
  Inspected full = meshc::proxy::inspectTls(bytes, &whole);
  if (full == Inspected::kYes) {
    size_t alpn_bytes = 0;
    for (const std::string& p : whole.alpn) {
      alpn_bytes += p.size();
    }
    if (whole.sni.size() > bytes.size() || alpn_bytes > bytes.size()) {
      fail("SNI or ALPN longer than the input");
    }
  }
  // A few prefixes: each decision they reach must be the whole input's.
  for (size_t cut : {bytes.size() / 4, bytes.size() / 2, bytes.size() - bytes.size() / 8}) {
    if (cut == 0 || cut >= bytes.size()) {
      continue;
    }
    ClientHelloInfo part;
    Inspected r = meshc::proxy::inspectTls(bytes.substr(0, cut), &part);
    if (r == Inspected::kNeedMore) {
      continue;
    }
    if (r != full) {
      fail("a prefix decided TLS differently from the whole input");
    }
    if (r == Inspected::kYes && (part.sni != whole.sni || part.alpn != whole.alpn)) {
      fail("a prefix read another SNI or ALPN");
    }
  }
}

bool isRequestLine(std::string_view b) {
  if (b.substr(0, 24) == "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") {
    return true;
  }
  size_t sp1 = b.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : b.find(' ', sp1 + 1);
  if (sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1) {
    return false;
  }
  std::string_view version = b.substr(sp2 + 1, 8);
  return version == "HTTP/1.0" || version == "HTTP/1.1";
}

void checkHttp(std::string_view bytes) {
  std::string whole;
  Inspected full = meshc::proxy::inspectHttp(bytes, &whole);
  if (full == Inspected::kYes && !isRequestLine(bytes)) {
    fail("HTTP inspector said yes to something that is not a request line");
  }
  for (size_t cut = 1; cut < bytes.size() && cut < 64; ++cut) {
    std::string part;
    Inspected r = meshc::proxy::inspectHttp(bytes.substr(0, cut), &part);
    if (r == Inspected::kNeedMore) {
      continue;
    }
    if (r != full || (r == Inspected::kYes && part != whole)) {
      fail("a prefix decided HTTP differently from the whole input");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  checkTls(bytes);
  checkHttp(bytes);
  return 0;
}
