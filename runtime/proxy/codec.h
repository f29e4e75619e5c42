// meshproxy's HTTP/1.1 codec: Boost.Beast's incremental parser (no hand-written parsing) with
// Envoy's limits and framing rules on top (PROXY-SEMANTICS §1.1, §1.2), and the writer that
// emits heads with lower-case names (R1.20). Entry points: RequestParser, ResponseParser,
// appendRequestHead(), appendResponseHead(), reasonPhrase().
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/header_map.h"

namespace meshc::proxy {

namespace beast_http = boost::beast::http;

/// R1.1: Envoy's request header budget (URL + names + values), 60 KiB.
inline constexpr size_t kMaxRequestHeadersBytes = 60 * 1024;
/// R1.2: at most 100 request headers.
inline constexpr size_t kMaxRequestHeaders = 100;
/// R13.7: upstream response limits (100 headers → 502, 80 KiB → 503).
inline constexpr size_t kMaxResponseHeaders = 100;
inline constexpr size_t kMaxResponseHeadersBytes = 80 * 1024;

/// A codec failure as Envoy answers it (R1.4–R1.9, R11.13): status, details.
struct CodecError {
  uint32_t status = 400;
  std::string_view details = "http1.codec_error";
};

/// Body bytes the parser handed over in one put(): views into the caller's input buffer, valid
/// until that buffer is consumed.
struct BodyPieces {
  std::vector<std::string_view> pieces;
  void clear() { pieces.clear(); }
};

/// What both parsers share: the body arrives as views into the caller's buffer (valid until it
/// consumes them), content-length and chunked alike; the callbacks that carry nothing are empty.
template <bool isRequest>
class BodyCollectingParser : public beast_http::basic_parser<isRequest> {
 public:
  BodyPieces body;
  uint64_t body_bytes = 0;  // the whole body so far

 private:
  std::size_t collect(boost::beast::string_view b) {
    body.pieces.emplace_back(b.data(), b.size());
    body_bytes += b.size();
    return b.size();
  }
  void on_header_impl(boost::system::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::system::error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view b, boost::system::error_code&) override {
    return collect(b);
  }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::system::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view b,
                                 boost::system::error_code&) override {
    return collect(b);
  }
  void on_finish_impl(boost::system::error_code&) override {}
};

/// Request parser: one per request (Beast parsers cannot be reset).
class RequestParser final : public BodyCollectingParser<true> {
 public:
  RequestParser();
  std::string method;
  std::string target;
  unsigned version = 11;
  http::HeaderMap headers{http::HeaderMap::Side::kRequest};
  std::optional<CodecError> error;  // set when a callback refused the request
  /// Maps a Beast error (after put() failed) to Envoy's answer.
  CodecError classify(const boost::system::error_code& ec) const;

 private:
  size_t header_bytes_ = 0;
  int content_lengths_ = 0;
  void on_request_impl(beast_http::verb, boost::beast::string_view method_str,
                       boost::beast::string_view target, int version,
                       boost::system::error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::system::error_code&) override {}
  void on_field_impl(beast_http::field, boost::beast::string_view name,
                     boost::beast::string_view value, boost::system::error_code& ec) override;
};

/// Upstream response parser: one per response (1xx responses included).
class ResponseParser final : public BodyCollectingParser<false> {
 public:
  ResponseParser();
  unsigned status = 0;
  unsigned version = 11;
  http::HeaderMap headers{http::HeaderMap::Side::kResponse};
  std::optional<CodecError> error;  // R13.7 limits

 private:
  size_t header_bytes_ = 0;
  void on_request_impl(beast_http::verb, boost::beast::string_view, boost::beast::string_view, int,
                       boost::system::error_code&) override {}
  void on_response_impl(int code, boost::beast::string_view reason, int version,
                        boost::system::error_code& ec) override;
  void on_field_impl(beast_http::field, boost::beast::string_view name,
                     boost::beast::string_view value, boost::system::error_code& ec) override;
};

/// Whether Envoy's HTTP/1 codec accepts the method (R1.6).
bool isKnownMethod(std::string_view method);

/// The reason phrase Envoy writes for a status ("OK", "Not Found", ...); "Unknown" otherwise.
std::string_view reasonPhrase(unsigned status);

/// Body framing of an outgoing message.
enum class Framing { kNone, kContentLength, kChunked, kCloseDelimited };

/// Appends "<METHOD> <path> HTTP/1.1\r\nhost: ...\r\n<headers>\r\n" (R13.1).
void appendRequestHead(std::string& out, const http::ProxyRequest& request);
/// Appends "HTTP/1.1 <status> <reason>\r\n<headers>\r\n".
void appendResponseHead(std::string& out, unsigned status, const http::HeaderMap& headers);
/// Appends one chunk's framing around `size` bytes (the caller writes the data after it).
void appendChunkHeader(std::string& out, size_t size);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace meshc::proxy
