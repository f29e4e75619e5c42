// Shared primitives of Istio's webhook validation (ISTIO-VALIDATION.md A.2, rows 8-33).
// Entry points: the check*/is* functions declared in validate_common.h.
#include "frontend/validation/validate_common.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "base/ascii.h"
#include "base/quote.h"

namespace meshc::frontend::validation {

namespace {

constexpr size_t kMaxLabelLength = 63;
constexpr size_t kMaxDomainLength = 255;
constexpr size_t kMaxDnsPrefixLength = 253;
constexpr size_t kMaxRegexLength = 1024;

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Text of a scalar node ("" for absent, null or collections). Non-string scalars keep their
// source text so that `subset: 1` is judged like Istio would judge "1".
std::string_view scalarText(const Node* n) {
  if (n == nullptr || !n->isScalar() || n->isNull()) {
    return {};
  }
  return n->text();
}

bool present(const Node* n) { return n != nullptr && !n->isNull(); }

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

// Go's strconv.Atoi succeeds: optional sign, at least one digit, fits in int64.
bool goAtoiSucceeds(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return false;
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    if (v > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1 - (c - '0')) / 10) {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

// labels.dns1123LabelFmt without the length limit: alnum (alnum|-)* alnum, or one alnum.
bool matchesDns1123LabelShape(std::string_view s) {
  if (s.empty() || !isAlnum(s.front()) || !isAlnum(s.back())) {
    return false;
  }
  for (char c : s) {
    if (!isAlnum(c) && c != '-') {
      return false;
    }
  }
  return true;
}

// labels.qualifiedNameFmt: (alnum [-A-Za-z0-9_.]*)? alnum.
bool isQualifiedName(std::string_view s) {
  if (s.empty() || !isAlnum(s.front()) || !isAlnum(s.back())) {
    return false;
  }
  for (char c : s) {
    if (!isAlnum(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// Go's ValidateDNS1123Labels: "" when every dot-separated label is valid (one trailing dot ok).
std::string checkDns1123Labels(std::string_view whole, std::string_view domain) {
  std::vector<std::string_view> parts = split(domain, '.');
  if (goAtoiSucceeds(parts.back())) {
    return "domain name " + quote(whole) + " is invalid: top-level domain " + quote(parts.back()) +
           " cannot be all-numeric";
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i == parts.size() - 1 && parts[i].empty()) {
      return "";
    }
    if (!isDns1123Label(parts[i])) {
      return "domain name " + quote(whole) + " is invalid: label " + quote(parts[i]) +
             " is not a DNS-1123 label";
    }
  }
  return "";
}

std::string checkDns1123Preconditions(std::string_view host) {
  if (host.size() > kMaxDomainLength) {
    return "domain name " + quote(host.substr(0, 40)) + "... is too long (" +
           std::to_string(host.size()) + " characters; max 255)";
  }
  if (host.empty()) {
    return "empty domain name is not allowed";
  }
  return "";
}

bool isTokenChar(char c) {
  if (isAlnum(c)) {
    return true;
  }
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool isTokenName(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!isTokenChar(c)) {
      return false;
    }
  }
  return true;
}

// Envoy custom-header formatter syntax (%VAR%, %VAR(args)%, %%), as Istio's validateHeaderValue.
std::string checkHeaderFormatter(std::string_view v) {
  enum class State {
    kLiteral,
    kVariableName,
    kExpectArray,
    kExpectString,
    kString,
    kExpectDelimiterOrEnd,
    kExpectArgsEnd,
    kExpectVariableEnd,
  };
  State state = State::kLiteral;
  for (size_t pos = 0; pos < v.size(); ++pos) {
    char ch = v[pos];
    bool has_next = pos + 1 < v.size();
    switch (state) {
      case State::kLiteral:
        if (ch != '%') {
          break;
        }
        if (!has_next) {
          return "un-escaped '%' at the end; write '%%' for a literal percent";
        }
        if (v[pos + 1] == '%') {
          ++pos;
          break;
        }
        state = State::kVariableName;
        break;
      case State::kVariableName:
        if (ch == '%') {
          state = State::kLiteral;
        } else if (ch == '(') {
          state = State::kExpectArray;
        }
        break;
      case State::kExpectArray:
        if (ch == '[') {
          state = State::kExpectString;
        } else if (ch != ' ') {
          state = State::kString;
        }
        break;
      case State::kExpectDelimiterOrEnd:
        if (ch == ',') {
          state = State::kExpectString;
        } else if (ch == ']') {
          state = State::kExpectArgsEnd;
        } else if (ch != ' ') {
          return "expected ',', ']' or a space in the variable arguments";
        }
        break;
      case State::kExpectString:
        if (ch == '"') {
          state = State::kString;
        } else if (ch != ' ') {
          return "expected '\"' to start a variable argument";
        }
        break;
      case State::kString:
        if (ch == '\\') {
          if (!has_next) {
            return "un-terminated backslash in a variable argument";
          }
          ++pos;
        } else if (ch == ')') {
          state = State::kExpectVariableEnd;
        } else if (ch == '"') {
          state = State::kExpectDelimiterOrEnd;
        }
        break;
      case State::kExpectArgsEnd:
        if (ch == ')') {
          state = State::kExpectVariableEnd;
        } else if (ch != ' ') {
          return "expected ')' or a space after the variable arguments";
        }
        break;
      case State::kExpectVariableEnd:
        if (ch == '%') {
          state = State::kLiteral;
        } else if (ch != ' ') {
          return "expected '%' or a space to close the variable";
        }
        break;
    }
  }
  if (state != State::kLiteral) {
    return "un-terminated %VARIABLE% expression";
  }
  return "";
}

// Shared by checkWorkloadSelector / checkAlphaWorkloadSelector: returns the number of errors.
int checkSelectorLabels(const Node* labels, Reporter& rep, std::string_view id) {
  int errors = 0;
  if (labels == nullptr || !labels->isMap()) {
    return 0;
  }
  for (const MapEntry& e : labels->entries()) {
    std::string_view value = scalarText(e.value);
    std::string pair = std::string(e.key) + "=" + std::string(value);
    if (e.key.empty()) {
      rep.emitAtKey(id, kIstSchemaError, Severity::kError, &e,
                    "empty label key is not supported in a selector: " + quote(pair));
      ++errors;
    }
    if (e.key.find('*') != std::string_view::npos) {
      rep.emitAtKey(id, kIstSchemaError, Severity::kError, &e,
                    "wildcard is not supported in a selector: " + quote(pair));
      ++errors;
    } else if (value.find('*') != std::string_view::npos) {
      rep.error(id, e.value, "wildcard is not supported in a selector: " + quote(pair));
      ++errors;
    }
  }
  return errors;
}

}  // namespace

// --- Names and hosts -------------------------------------------------------------------------

bool isDns1123Label(std::string_view s) {
  return s.size() <= kMaxLabelLength && matchesDns1123LabelShape(s);
}

bool isWildcardDns1123Label(std::string_view s) {
  if (s.size() > kMaxLabelLength) {
    return false;
  }
  if (s == "*") {
    return true;
  }
  if (s.starts_with("*-")) {
    return matchesDns1123LabelShape(s.substr(2)) || matchesDns1123LabelShape(s.substr(1));
  }
  if (s.starts_with("*")) {
    return matchesDns1123LabelShape(s.substr(1));
  }
  return matchesDns1123LabelShape(s);
}

std::string checkWildcardDomain(std::string_view host) {
  if (std::string pre = checkDns1123Preconditions(host); !pre.empty()) {
    return pre;
  }
  // Wildcards are only allowed in the first label.
  size_t dot = host.find('.');
  std::string_view first = host.substr(0, dot);
  if (!isWildcardDns1123Label(first)) {
    return "domain name " + quote(host) + " is invalid: label " + quote(first) +
           " is not a DNS-1123 label or wildcard";
  }
  if (dot != std::string_view::npos) {
    return checkDns1123Labels(host, host.substr(dot + 1));
  }
  return "";
}

std::string checkFqdn(std::string_view host) {
  if (std::string pre = checkDns1123Preconditions(host); !pre.empty()) {
    return pre;
  }
  return checkDns1123Labels(host, host);
}

bool isPartialWildcard(std::string_view host) {
  return host.find('*') != std::string_view::npos && host.size() != 1 && !host.starts_with("*.");
}

bool isValidPort(int64_t port) { return port >= 1 && port <= 65535; }

// --- Labels, ports, protocols ----------------------------------------------------------------

void checkLabelMap(const Node* labels, Reporter& rep, std::string_view id) {
  if (labels == nullptr || !labels->isMap()) {
    return;
  }
  for (const MapEntry& e : labels->entries()) {
    std::string_view key = e.key;
    std::string_view name = key;
    std::string key_problem;
    size_t slash = key.find('/');
    if (slash != std::string_view::npos) {
      std::string_view prefix = key.substr(0, slash);
      name = key.substr(slash + 1);
      bool prefix_ok = !prefix.empty();
      for (std::string_view label : split(prefix, '.')) {
        prefix_ok = prefix_ok && matchesDns1123LabelShape(label);
      }
      if (!prefix_ok) {
        key_problem = "its prefix is not a DNS subdomain";
      } else if (prefix.size() > kMaxDnsPrefixLength) {
        key_problem = "its DNS prefix is longer than 253 characters";
      }
    }
    if (key_problem.empty()) {
      if (!isQualifiedName(name)) {
        key_problem = "expected alphanumerics, '-', '_' or '.', starting and ending alphanumeric";
      } else if (name.size() > kMaxLabelLength) {
        key_problem = "its name is longer than 63 characters";
      }
    }
    if (!key_problem.empty()) {
      rep.emitAtKey(id, kIstSchemaError, Severity::kError, &e,
                    "invalid label key " + quote(key) + ": " + key_problem);
    }
    std::string_view value = scalarText(e.value);
    if (!value.empty() && !isQualifiedName(value)) {
      rep.error(id, e.value,
                "invalid label value " + quote(value) +
                    ": expected empty or alphanumerics, '-', '_' or '.', starting and ending "
                    "alphanumeric");
    }
  }
}

bool isValidPortName(std::string_view s) { return isDns1123Label(s); }

std::string checkProtocol(std::string_view s) {
  if (s.empty() || parseProtocol(s)) {
    return "";
  }
  return "unsupported protocol " + quote(s) +
         "; expected one of HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, TLS, UDP, MONGO, "
         "REDIS, MYSQL";
}

void checkExportTo(const Node* export_to, bool is_service_entry, Reporter& rep,
                   std::string_view id) {
  if (export_to == nullptr || !export_to->isSeq() || export_to->size() == 0) {
    return;
  }
  const std::string& ns = rep.resource().name_space;
  std::set<std::string, std::less<>> seen;
  for (const Node* item : export_to->items()) {
    std::string_view e = scalarText(item);
    std::string key = e == "." ? ns : std::string(e);
    if (seen.count(key) != 0) {
      if (key != e) {
        rep.error(id, item,
                  "duplicate exportTo entries: \".\" and the current namespace " + quote(ns) +
                      " mean the same");
      } else {
        rep.error(id, item, "duplicate exportTo entry " + quote(e));
      }
      continue;
    }
    if (e == "~" && is_service_entry) {
      seen.insert(key);
      continue;
    }
    if (e == "~") {
      rep.error(id, item, "exportTo \"~\" (none) is only allowed on a ServiceEntry");
      continue;
    }
    // "." was replaced by the namespace above, which is always a label when set.
    if (key != "*" && e != "." && !isDns1123Label(key)) {
      rep.error(id, item,
                "invalid exportTo entry " + quote(e) +
                    "; expected \".\", \"*\" or a namespace name (DNS-1123 label)");
      continue;
    }
    seen.insert(key);
  }
  size_t n = export_to->size();
  if (seen.count("*") != 0 && n > 1) {
    rep.error(id, export_to,
              "exportTo cannot combine public (\"*\") with other entries; \"*\" alone already "
              "exports to every namespace");
  }
  if (seen.count("~") != 0 && n > 1) {
    rep.error(id, export_to, "exportTo cannot combine \"~\" (no one) with other entries");
  }
}

// --- Regex, string matches, headers ------------------------------------------------------------

std::string checkRegex(std::string_view re) {
  if (re.size() > kMaxRegexLength) {
    return "regex is too large (" + std::to_string(re.size()) +
           " characters); the maximum allowed length is 1024";
  }
  RE2::Options options;
  options.set_log_errors(false);
  RE2 compiled(re2::StringPiece(re.data(), re.size()), options);
  if (compiled.ok()) {
    return "";
  }
  return "invalid regex " + quote(re) + ": " + compiled.error() +
         "; Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)";
}

void checkStringMatch(const Node* match, Reporter& rep, std::string_view id,
                      bool allow_empty_prefix) {
  if (match == nullptr || !match->isMap()) {
    return;
  }
  if (!allow_empty_prefix) {
    const Node* prefix = match->get("prefix");
    if (present(prefix) && prefix->isScalar() && prefix->text().empty()) {
      rep.error(id, prefix, "prefix string match must not be empty; use a non-empty prefix");
    }
  }
  const Node* regex = match->get("regex");
  if (!present(regex) || !regex->isScalar()) {
    return;
  }
  if (regex->text().empty()) {
    rep.error(id, regex, "regex string match must not be empty");
    return;
  }
  if (std::string reason = checkRegex(regex->text()); !reason.empty()) {
    rep.error(id, regex, reason);
  }
}

std::string checkHeaderValue(std::string_view value) {
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if ((c <= 0x08) || (c >= 0x0a && c <= 0x1f) || c == 0x7f) {
      return "header value " + quote(value) + " contains a control character";
    }
  }
  if (std::string reason = checkHeaderFormatter(value); !reason.empty()) {
    return "invalid header value " + quote(value) + ": " + reason;
  }
  return "";
}

bool isJwtClaimHeader(std::string_view name) {
  constexpr std::string_view kPrefix = "@request.auth.claims";
  if (!ascii::startsWithIgnoreCase(name, kPrefix)) {
    return false;
  }
  std::string_view rest = name.substr(kPrefix.size());
  if (rest.starts_with(".") && rest.size() > 1) {
    return true;
  }
  return rest.starts_with("[") && rest.ends_with("]") && rest.size() > 2;
}

std::string checkMatchHeaderName(std::string_view name) {
  if (name.empty()) {
    return "header name must not be empty";
  }
  if (isJwtClaimHeader(name)) {
    return "";
  }
  if (name == ":method" || name == ":scheme" || name == ":authority" || name == ":path" ||
      name == ":status") {
    return "";
  }
  if (!isTokenName(name)) {
    return "header name " + quote(name) +
           " is not a valid header name; expected RFC 7230 token characters";
  }
  return "";
}

std::string checkRequestHeaderAddSetName(std::string_view name) {
  if (name.empty()) {
    return "header name must not be empty";
  }
  bool internal = name.starts_with(":") || ascii::equalsIgnoreCase(name, "host");
  bool authority =
      ascii::equalsIgnoreCase(name, ":authority") || ascii::equalsIgnoreCase(name, "host");
  if (internal && !authority) {
    return "invalid header " + quote(name) + ": header names cannot start with ':'";
  }
  return "";
}

std::string checkHeaderOperationName(std::string_view name) {
  if (name.empty()) {
    return "header name must not be empty";
  }
  if (ascii::equalsIgnoreCase(name, "host")) {
    return "invalid header " + quote(name) + ": the Host header cannot be modified here";
  }
  if (name.starts_with(":")) {
    return "invalid header " + quote(name) + ": header names cannot start with ':'";
  }
  return "";
}

std::string checkCorsHeaderName(std::string_view name) {
  if (name.empty()) {
    return "header name must not be empty";
  }
  if (name == "*" || isTokenName(name)) {
    return "";
  }
  return "header name " + quote(name) +
         " is not a valid header name; expected RFC 7230 token characters or \"*\"";
}

// --- Selectors, destinations, gateway names --------------------------------------------------

void checkWorkloadSelector(const Node* selector, Reporter& rep, std::string_view id) {
  if (!present(selector)) {
    return;
  }
  const Node* labels = selector->get("matchLabels");
  checkSelectorLabels(labels, rep, id);
  if (labels == nullptr || labels->size() == 0) {
    rep.warning(id, selector,
                "workload selector specified without matchLabels; it selects every workload in "
                "the namespace");
  }
}

bool checkAlphaWorkloadSelector(const Node* selector, Reporter& rep, std::string_view id,
                                std::string_view empty_labels_warning) {
  if (!present(selector)) {
    return true;
  }
  const Node* labels = selector->get("labels");
  if (checkSelectorLabels(labels, rep, id) > 0) {
    return false;
  }
  if (labels == nullptr || labels->size() == 0) {
    rep.warning(id, selector,
                empty_labels_warning.empty() ? "workload selector specified without labels"
                                             : std::string(empty_labels_warning));
  }
  return true;
}

void checkDestination(const Node* destination, Reporter& rep, std::string_view id) {
  if (!present(destination) || !destination->isMap()) {
    return;
  }
  const Node* host_node = destination->get("host");
  std::string_view host = scalarText(host_node);
  const Node* at = present(host_node) ? host_node : destination;
  if (host == "*") {
    rep.error(id, at, "invalid destination host \"*\"; expected a service host name");
  } else if (std::string reason = checkWildcardDomain(host); !reason.empty()) {
    rep.error(id, at, "invalid destination host: " + reason);
  }
  const Node* subset = destination->get("subset");
  std::string_view subset_name = scalarText(subset);
  // Istio only validates a non-empty subset, so "subset: ''" passes.
  if (!subset_name.empty() && !isDns1123Label(subset_name)) {
    rep.error(id, subset,
              "invalid subset name " + quote(subset_name) + "; expected a DNS-1123 label");
  }
  const Node* port = destination->get("port");
  if (present(port) && port->isMap()) {
    const Node* number = port->get("number");
    int64_t n = number != nullptr && number->isInt() ? number->intValue() : 0;
    if (!isValidPort(n)) {
      rep.error(
          id, number != nullptr ? number : port,
          "destination port number " + std::to_string(n) + " is out of range; expected 1..65535");
    }
  }
}

void checkGatewayNames(const Node* gateways, Reporter& rep, std::string_view id,
                       bool keep_warnings) {
  checkGatewayNamesSplitIds(gateways, rep, id, keep_warnings ? id : std::string_view());
}

void checkGatewayNamesSplitIds(const Node* gateways, Reporter& rep, std::string_view error_id,
                               std::string_view warning_id) {
  if (gateways == nullptr || !gateways->isSeq()) {
    return;
  }
  for (const Node* item : gateways->items()) {
    std::string_view name = scalarText(item);
    size_t slash = name.find('/');
    if (slash == std::string_view::npos) {
      if (name.find('.') != std::string_view::npos && !warning_id.empty()) {
        std::vector<std::string_view> parts = split(name, '.');
        std::string recommended = std::string(parts[1]) + "/" + std::string(parts[0]);
        rep.warning(warning_id, item,
                    "gateway reference " + quote(name) +
                        " uses the legacy <name>.<namespace> form; prefer <namespace>/<name>: " +
                        quote(recommended));
      }
      if (std::string reason = checkFqdn(name); !reason.empty()) {
        rep.error(error_id, item, "invalid gateway reference: " + reason);
      }
      // Istio's validateGatewayNames returns after the first entry without a '/', so later
      // entries are never checked; we keep that to report exactly what the webhook reports.
      return;
    }
    std::string_view ns = name.substr(0, slash);
    std::string_view gw = name.substr(slash + 1);
    if (ns.empty() || gw.empty()) {
      rep.error(error_id, item,
                "gateway reference " + quote(name) +
                    " has an empty namespace or name; expected <namespace>/<name>");
    }
    if (!isDns1123Label(ns)) {
      rep.error(
          error_id, item,
          "invalid namespace " + quote(ns) + " in gateway reference; expected a DNS-1123 label");
    }
    if (!isDns1123Label(gw)) {
      rep.error(error_id, item,
                "invalid gateway name " + quote(gw) +
                    " in gateway reference; expected a DNS-1123 "
                    "label");
    }
  }
}

}  // namespace meshc::frontend::validation
