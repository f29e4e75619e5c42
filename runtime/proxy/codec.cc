// HTTP/1.1 codec callbacks: Envoy's header limits, method list and framing rules applied to what
// Beast parses (PROXY-SEMANTICS R1.1–R1.9, R13.7).
#include "proxy/codec.h"

#include <algorithm>
#include <array>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>

#include "base/ascii.h"

namespace meshc::proxy {
namespace {

// Beast's own raw-byte header limit sits above Envoy's budget (which counts URL, names and
// values but no separators), so that the exact Envoy measure below decides first.
constexpr uint32_t kBeastHeaderLimit = kMaxRequestHeadersBytes + 16 * 1024;

constexpr std::array<std::string_view, 34> kMethods = {
    "ACL",       "BIND",     "CHECKOUT",  "CONNECT", "COPY",      "DELETE",      "GET",
    "HEAD",      "LINK",     "LOCK",      "MERGE",   "MKACTIVITY", "MKCALENDAR", "MKCOL",
    "MOVE",      "MSEARCH",  "NOTIFY",    "OPTIONS", "PATCH",     "POST",        "PROPFIND",
    "PROPPATCH", "PURGE",    "PUT",       "REBIND",  "REPORT",    "SEARCH",      "SOURCE",
    "SUBSCRIBE", "TRACE",    "UNBIND",    "UNLINK",  "UNLOCK",    "UNSUBSCRIBE"};

}  // namespace

bool isKnownMethod(std::string_view method) {
  return std::find(kMethods.begin(), kMethods.end(), method) != kMethods.end();
}

RequestParser::RequestParser() {
  header_limit(kBeastHeaderLimit);
  body_limit(boost::none);
  eager(true);
}

void RequestParser::on_request_impl(beast_http::verb, boost::beast::string_view method_str,
                                    boost::beast::string_view target_str, int v,
                                    boost::system::error_code& ec) {
  method.assign(method_str.data(), method_str.size());
  target.assign(target_str.data(), target_str.size());
  version = static_cast<unsigned>(v);
  header_bytes_ = target.size();
  if (!isKnownMethod(method)) {
    error = CodecError{400, "http1.codec_error"};  // R1.6
    ec = beast_http::error::bad_method;
  }
}

void RequestParser::on_field_impl(beast_http::field, boost::beast::string_view name,
                                  boost::beast::string_view value, boost::system::error_code& ec) {
  std::string_view n(name.data(), name.size());
  std::string_view v(value.data(), value.size());
  header_bytes_ += n.size() + v.size();
  if (header_bytes_ > kMaxRequestHeadersBytes) {
    error = CodecError{431, "http1.headers_too_large"};  // R1.1
    ec = beast_http::error::header_limit;
    return;
  }
  if (headers.size() >= kMaxRequestHeaders) {
    error = CodecError{431, "http1.too_many_headers"};  // R1.2
    ec = beast_http::error::header_limit;
    return;
  }
  if (ascii::equalsIgnoreCase(n, "content-length")) {
    if (++content_lengths_ > 1) {
      error = CodecError{400, "http1.codec_error"};  // R1.5: any second Content-Length
      ec = beast_http::error::multiple_content_length;
      return;
    }
  } else if (ascii::equalsIgnoreCase(n, "transfer-encoding")) {
    if (headers.has("content-length")) {
      error = CodecError{400, "http1.content_length_and_chunked_not_allowed"};  // R1.5
      ec = beast_http::error::bad_transfer_encoding;
      return;
    }
    if (!ascii::equalsIgnoreCase(v, "chunked")) {
      error = CodecError{501, "http1.invalid_transfer_encoding"};  // R1.5
      ec = beast_http::error::bad_transfer_encoding;
      return;
    }
  }
  headers.addRaw(n, v);
}

CodecError RequestParser::classify(const boost::system::error_code& ec) const {
  if (error) {
    return *error;
  }
  if (ec == beast_http::error::header_limit) {
    return CodecError{431, "http1.headers_too_large"};
  }
  // R1.5: Beast rejects the second framing header before our hook sees it.
  if ((ec == beast_http::error::bad_content_length && headers.has("transfer-encoding")) ||
      (ec == beast_http::error::bad_transfer_encoding && headers.has("content-length"))) {
    return CodecError{400, "http1.content_length_and_chunked_not_allowed"};
  }
  if (ec == beast_http::error::bad_value || ec == beast_http::error::bad_field) {
    return CodecError{400, "http1.invalid_characters"};  // R1.7
  }
  return CodecError{400, "http1.codec_error"};
}

ResponseParser::ResponseParser() {
  header_limit(kMaxResponseHeadersBytes + 16 * 1024);
  body_limit(boost::none);
  eager(true);
}

void ResponseParser::on_response_impl(int code, boost::beast::string_view, int v,
                                      boost::system::error_code& ec) {
  status = static_cast<unsigned>(code);
  version = static_cast<unsigned>(v);
  if (code < 100) {  // "020": three digits but no status; relaying it would be malformed (R11.7)
    error = CodecError{502, "http1.codec_error"};
    ec = beast_http::error::bad_status;
  }
}

void ResponseParser::on_field_impl(beast_http::field, boost::beast::string_view name,
                                   boost::beast::string_view value,
                                   boost::system::error_code& ec) {
  header_bytes_ += name.size() + value.size();
  if (header_bytes_ > kMaxResponseHeadersBytes) {
    error = CodecError{503, "http1.headers_too_large"};  // R13.7
    ec = beast_http::error::header_limit;
    return;
  }
  if (headers.size() >= kMaxResponseHeaders) {
    error = CodecError{502, "http1.too_many_headers"};  // R13.7
    ec = beast_http::error::header_limit;
    return;
  }
  headers.addRaw(std::string_view(name.data(), name.size()),
                 std::string_view(value.data(), value.size()));
}

std::string_view reasonPhrase(unsigned status) {
  boost::beast::string_view r = beast_http::obsolete_reason(static_cast<beast_http::status>(status));
  if (r == "<unknown-status>") {
    return "Unknown";
  }
  return std::string_view(r.data(), r.size());
}

void appendRequestHead(std::string& out, const http::ProxyRequest& request) {
  out.append(request.method).append(" ").append(request.path).append(" HTTP/1.1\r\nhost: ");
  out.append(request.authority).append("\r\n");
  for (const http::Header& h : request.headers.entries()) {
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  out.append("\r\n");
}

void appendResponseHead(std::string& out, unsigned status, const http::HeaderMap& headers) {
  char code[8];
  auto [end, ec] = std::to_chars(code, code + sizeof(code), status);
  out.append("HTTP/1.1 ").append(code, end).append(" ").append(reasonPhrase(status)).append("\r\n");
  for (const http::Header& h : headers.entries()) {
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  out.append("\r\n");
}

void appendChunkHeader(std::string& out, size_t size) {
  char hex[24];
  auto [end, ec] = std::to_chars(hex, hex + sizeof(hex), size, 16);
  out.append(hex, end).append("\r\n");
}

}  // namespace meshc::proxy
