// The access log in Istio's default TEXT format (PROXY-SEMANTICS R11.19, R11.20).
// Entry points: AccessLogEntry, formatAccessLogLine(), AccessLogWriter (one per worker).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace meshc::proxy {

/// One finished request's fields; empty strings print as "-" (R11.20).
struct AccessLogEntry {
  std::chrono::system_clock::time_point start;
  std::string method;
  std::string path;  // x-envoy-original-path when a rewrite happened, else :path
  std::string protocol = "HTTP/1.1";
  uint32_t response_code = 0;
  std::string response_flags = "-";
  std::string response_code_details;
  std::string connection_termination_details;
  std::string upstream_transport_failure_reason;
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t duration_ms = 0;
  std::string upstream_service_time;
  std::string x_forwarded_for, user_agent, request_id, authority;
  std::string upstream_host, upstream_cluster, upstream_local_address;
  std::string downstream_local_address, downstream_remote_address;
  std::string requested_server_name;
  std::string route_name;
};

/// `[%START_TIME%] "%REQ(:METHOD)% ..." ...\n`, exactly R11.19's field order.
std::string formatAccessLogLine(const AccessLogEntry& entry);

/// Buffers lines and writes them with one write(2) per flush to a file opened O_APPEND (or
/// stdout for "-"); a worker owns one, so lines never interleave inside a line.
class AccessLogWriter {
 public:
  AccessLogWriter() = default;
  ~AccessLogWriter();
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;
  /// Opens `path` ("" = disabled, "-" = stdout). Returns the OS error text on failure.
  std::string open(const std::string& path);
  bool enabled() const { return fd_ >= 0; }
  void append(const AccessLogEntry& entry);
  void flush();

 private:
  int fd_ = -1;
  bool owns_fd_ = false;
  std::string buffer_;
};

}  // namespace meshc::proxy
