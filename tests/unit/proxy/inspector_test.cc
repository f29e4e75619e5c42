// The listener filters' inspectors (PROXY-SEMANTICS R14.2, R14.8; ISTIO-SEMANTICS §8.2 step 2).
// The ClientHellos come from OpenSSL's own client with the SNI and ALPN the test sets, so the
// oracle is independent of the parser under test.
#include <catch2/catch.hpp>

#include <openssl/ssl.h>

#include <memory>

#include "proxy/inspector.h"

using namespace meshc;
using proxy::Inspected;

namespace {

// The first flight an OpenSSL client sends with `sni` ("" = none) and `alpn` (wire format).
std::string clientHello(const std::string& sni, const std::string& alpn_wire) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  REQUIRE(ctx);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  REQUIRE(ssl);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), in, out);
  if (!sni.empty()) {
    SSL_set_tlsext_host_name(ssl.get(), sni.c_str());
  }
  if (!alpn_wire.empty()) {
    SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(alpn_wire.data()),
                        static_cast<unsigned>(alpn_wire.size()));
  }
  SSL_set_connect_state(ssl.get());
  SSL_do_handshake(ssl.get());  // wants to read the ServerHello: the ClientHello is in `out`
  char* data = nullptr;
  long n = BIO_get_mem_data(out, &data);
  REQUIRE(n > 0);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

TEST_CASE("TLS inspector: SNI and ALPN of a ClientHello, in the client's order",
          "[proxy][inspector]") {
  std::string hello = clientHello("pay.example.com", std::string("\x02h2\x08http/1.1", 12));
  proxy::ClientHelloInfo info;
  REQUIRE(proxy::inspectTls(hello, &info) == Inspected::kYes);
  CHECK(info.sni == "pay.example.com");
  CHECK(info.alpn == std::vector<std::string>{"h2", "http/1.1"});

  proxy::ClientHelloInfo bare;
  REQUIRE(proxy::inspectTls(clientHello("", ""), &bare) == Inspected::kYes);
  CHECK(bare.sni.empty());
  CHECK(bare.alpn.empty());
}

TEST_CASE("TLS inspector: every proper prefix of a ClientHello asks for more",
          "[proxy][inspector]") {
  std::string hello = clientHello("a.b.example.com", "");
  REQUIRE(hello.size() < 4096);
  for (size_t n = 1; n < hello.size(); ++n) {
    proxy::ClientHelloInfo info;
    INFO("prefix of " << n << " bytes");
    REQUIRE(proxy::inspectTls(std::string_view(hello).substr(0, n), &info) ==
            Inspected::kNeedMore);
  }
}

TEST_CASE("TLS inspector: bytes that are not a ClientHello are not TLS", "[proxy][inspector]") {
  proxy::ClientHelloInfo info;
  CHECK(proxy::inspectTls("GET / HTTP/1.1\r\n", &info) == Inspected::kNo);
  CHECK(proxy::inspectTls(std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8), &info) ==
        Inspected::kNo);  // a PostgreSQL SSLRequest
  // A handshake record whose body is not a ClientHello.
  std::string junk("\x16\x03\x01\x00\x08\x02\x00\x00\x04\x03\x03\x00\x00", 13);
  CHECK(proxy::inspectTls(junk, &info) == Inspected::kNo);
  // A record header claiming more than the inspector reads: decided at the limit.
  std::string huge("\x16\x03\x01\xff\xff\x01\x00\xff\xfb", 9);
  huge.resize(proxy::kMaxInspectedBytes, '\0');
  CHECK(proxy::inspectTls(huge, &info) == Inspected::kNo);
}

TEST_CASE("HTTP inspector: HTTP/1.x request lines and the HTTP/2 preface", "[proxy][inspector]") {
  std::string alpn;
  CHECK(proxy::inspectHttp("GET /productpage HTTP/1.1\r\nHost: x\r\n\r\n", &alpn) ==
        Inspected::kYes);
  CHECK(alpn == "http/1.1");
  CHECK(proxy::inspectHttp("POST http://a.example/x?y HTTP/1.0\r\n", &alpn) == Inspected::kYes);
  CHECK(alpn == "http/1.0");
  CHECK(proxy::inspectHttp("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", &alpn) == Inspected::kYes);
  CHECK(alpn == "h2c");
  const std::string line = "OPTIONS * HTTP/1.1\r\n";
  for (size_t n = 1; n < line.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    CHECK(proxy::inspectHttp(line.substr(0, n), &alpn) == Inspected::kNeedMore);
  }
  const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  for (size_t n = 1; n < preface.size(); ++n) {
    CHECK(proxy::inspectHttp(preface.substr(0, n), &alpn) == Inspected::kNeedMore);
  }
}

TEST_CASE("HTTP inspector: other protocols are told apart at the first impossible byte",
          "[proxy][inspector]") {
  std::string alpn;
  CHECK(proxy::inspectHttp("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", &alpn) == Inspected::kNo);
  CHECK(proxy::inspectHttp(std::string("\x16\x03\x01\x02\x00", 5), &alpn) == Inspected::kNo);
  CHECK(proxy::inspectHttp("GET / HTTP/2.0\r\n", &alpn) == Inspected::kNo);
  CHECK(proxy::inspectHttp("GET / HTTP/1.1 \r\n", &alpn) == Inspected::kNo);
  CHECK(proxy::inspectHttp("GET  / HTTP/1.1\r\n", &alpn) == Inspected::kNo);
  CHECK(proxy::inspectHttp(" GET / HTTP/1.1\r\n", &alpn) == Inspected::kNo);
  CHECK(proxy::inspectHttp("EHLO mail.example\r\n", &alpn) == Inspected::kNo);
  // A request line longer than the inspector reads is not called HTTP.
  std::string long_target = "GET /" + std::string(proxy::kMaxInspectedBytes, 'a');
  CHECK(proxy::inspectHttp(long_target, &alpn) == Inspected::kNo);
}
