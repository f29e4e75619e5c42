// Access log lines in Istio's default TEXT format and their buffered writer.
#include "proxy/access_log.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

namespace meshc::proxy {
namespace {

void field(std::string& out, std::string_view v) { out.append(v.empty() ? "-" : v); }

void quoted(std::string& out, std::string_view v) {
  out += '"';
  field(out, v);
  out += '"';
}

// START_TIME: %Y-%m-%dT%H:%M:%E3SZ in UTC (R11.20).
std::string startTime(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

std::string formatAccessLogLine(const AccessLogEntry& e) {
  std::string out;
  out.reserve(256);
  out += '[';
  out += startTime(e.start);
  out += "] \"";
  field(out, e.method);
  out += ' ';
  field(out, e.path);
  out += ' ';
  field(out, e.protocol);
  out += "\" ";
  out += std::to_string(e.response_code);
  out += ' ';
  field(out, e.response_flags);
  out += ' ';
  field(out, e.response_code_details);
  out += ' ';
  field(out, e.connection_termination_details);
  out += ' ';
  quoted(out, e.upstream_transport_failure_reason);
  out += ' ';
  out += std::to_string(e.bytes_received);
  out += ' ';
  out += std::to_string(e.bytes_sent);
  out += ' ';
  out += std::to_string(e.duration_ms);
  out += ' ';
  field(out, e.upstream_service_time);
  out += ' ';
  quoted(out, e.x_forwarded_for);
  out += ' ';
  quoted(out, e.user_agent);
  out += ' ';
  quoted(out, e.request_id);
  out += ' ';
  quoted(out, e.authority);
  out += ' ';
  quoted(out, e.upstream_host);
  out += ' ';
  field(out, e.upstream_cluster);
  out += ' ';
  field(out, e.upstream_local_address);
  out += ' ';
  field(out, e.downstream_local_address);
  out += ' ';
  field(out, e.downstream_remote_address);
  out += ' ';
  field(out, e.requested_server_name);
  out += ' ';
  field(out, e.route_name);
  out += '\n';
  return out;
}

AccessLogWriter::~AccessLogWriter() {
  flush();
  if (owns_fd_ && fd_ >= 0) {
    ::close(fd_);
  }
}

std::string AccessLogWriter::open(const std::string& path) {
  if (path.empty()) {
    return {};
  }
  if (path == "-") {
    fd_ = 1;
    return {};
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    return std::strerror(errno);
  }
  owns_fd_ = true;
  return {};
}

void AccessLogWriter::append(const AccessLogEntry& entry) {
  if (fd_ < 0) {
    return;
  }
  buffer_ += formatAccessLogLine(entry);
  if (buffer_.size() >= 16 * 1024) {
    flush();
  }
}

void AccessLogWriter::flush() {
  size_t done = 0;
  while (fd_ >= 0 && done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) {
        continue;
      }
      break;  // a full disk or closed pipe loses the lines rather than stalling the worker
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
}

}  // namespace meshc::proxy
