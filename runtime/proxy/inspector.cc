// The TLS and HTTP inspectors (listener filters).
#include "proxy/inspector.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <memory>

namespace meshc::proxy {
namespace {

struct HelloCapture {
  bool seen = false;
  ClientHelloInfo info;
};

uint32_t be16(const unsigned char* p) { return (uint32_t{p[0]} << 8) | p[1]; }

// server_name extension (RFC 6066 §3): u16 list length, then {u8 type, u16 length, name}.
// The first host_name entry is the SNI.
void readServerName(const unsigned char* p, size_t len, std::string* out) {
  if (len < 2 || be16(p) + 2 > len) {
    return;
  }
  size_t end = 2 + be16(p);
  for (size_t i = 2; i + 3 <= end;) {
    unsigned type = p[i];
    size_t n = be16(p + i + 1);
    if (i + 3 + n > end) {
      return;
    }
    if (type == 0) {
      out->assign(reinterpret_cast<const char*>(p + i + 3), n);
      return;
    }
    i += 3 + n;
  }
}

// ALPN extension (RFC 7301 §3.1): u16 list length, then {u8 length, protocol}.
void readAlpn(const unsigned char* p, size_t len, std::vector<std::string>* out) {
  if (len < 2 || be16(p) + 2 > len) {
    return;
  }
  size_t end = 2 + be16(p);
  for (size_t i = 2; i < end;) {
    size_t n = p[i];
    if (n == 0 || i + 1 + n > end) {
      return;
    }
    out->emplace_back(reinterpret_cast<const char*>(p + i + 1), n);
    i += 1 + n;
  }
}

int onClientHello(SSL* ssl, int* alert, void*) {
  auto* capture = static_cast<HelloCapture*>(SSL_get_app_data(ssl));
  capture->seen = true;
  const unsigned char* data = nullptr;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &data, &len) == 1) {
    readServerName(data, len, &capture->info.sni);
  }
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &data,
                                &len) == 1) {
    readAlpn(data, len, &capture->info.alpn);
  }
  *alert = SSL_AD_HANDSHAKE_FAILURE;
  return SSL_CLIENT_HELLO_ERROR;  // seen what was needed: the handshake goes no further here
}

SSL_CTX* inspectorContext() {
  static SSL_CTX* ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_server_method());
    if (c != nullptr) {
      SSL_CTX_set_client_hello_cb(c, onClientHello, nullptr);
    }
    return c;
  }();
  return ctx;
}

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

}  // namespace

Inspected inspectTls(std::string_view bytes, ClientHelloInfo* info) {
  if (bytes.empty()) {
    return Inspected::kNeedMore;
  }
  if (static_cast<unsigned char>(bytes[0]) != 0x16) {  // not a TLS handshake record
    return Inspected::kNo;
  }
  if (bytes.size() < 5) {
    return Inspected::kNeedMore;
  }
  SSL_CTX* ctx = inspectorContext();
  if (ctx == nullptr) {
    return Inspected::kNo;
  }
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx));
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (!ssl || in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    return Inspected::kNo;
  }
  BIO_write(in, bytes.data(), static_cast<int>(std::min(bytes.size(), kMaxInspectedBytes)));
  SSL_set_bio(ssl.get(), in, out);  // the SSL owns both now
  HelloCapture capture;
  SSL_set_app_data(ssl.get(), &capture);
  SSL_set_accept_state(ssl.get());
  int rc = SSL_do_handshake(ssl.get());
  int err = SSL_get_error(ssl.get(), rc);
  ERR_clear_error();
  if (capture.seen) {
    *info = std::move(capture.info);
    return Inspected::kYes;
  }
  if (err == SSL_ERROR_WANT_READ && bytes.size() < kMaxInspectedBytes) {
    return Inspected::kNeedMore;
  }
  return Inspected::kNo;
}

Inspected inspectHttp(std::string_view bytes, std::string* alpn) {
  static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  size_t common = std::min(bytes.size(), kPreface.size());
  if (bytes.substr(0, common) == kPreface.substr(0, common)) {
    if (bytes.size() < kPreface.size()) {
      return Inspected::kNeedMore;
    }
    *alpn = "h2c";
    return Inspected::kYes;
  }
  // request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3). Decided at
  // the first byte that cannot continue one.
  auto tchar = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  };
  size_t i = 0;
  size_t n = std::min(bytes.size(), kMaxInspectedBytes);
  auto need_more = [&] { return bytes.size() >= kMaxInspectedBytes ? Inspected::kNo : Inspected::kNeedMore; };
  size_t start = i;
  while (i < n && tchar(static_cast<unsigned char>(bytes[i]))) {
    ++i;
  }
  if (i == n) {
    return need_more();
  }
  if (i == start || bytes[i] != ' ') {
    return Inspected::kNo;
  }
  start = ++i;
  while (i < n && static_cast<unsigned char>(bytes[i]) > 0x20 &&
         static_cast<unsigned char>(bytes[i]) != 0x7f) {
    ++i;
  }
  if (i == n) {
    return need_more();
  }
  if (i == start || bytes[i] != ' ') {
    return Inspected::kNo;
  }
  ++i;
  static constexpr std::string_view kVersion = "HTTP/1.";
  for (char expected : kVersion) {
    if (i == n) {
      return need_more();
    }
    if (bytes[i] != expected) {
      return Inspected::kNo;
    }
    ++i;
  }
  if (i == n) {
    return need_more();
  }
  char minor = bytes[i++];
  if (minor != '0' && minor != '1') {
    return Inspected::kNo;
  }
  if (i == n) {
    return need_more();
  }
  if (bytes[i] == '\r') {
    if (++i == n) {
      return need_more();
    }
  }
  if (bytes[i] != '\n') {
    return Inspected::kNo;
  }
  *alpn = minor == '0' ? "http/1.0" : "http/1.1";
  return Inspected::kYes;
}

}  // namespace meshc::proxy
