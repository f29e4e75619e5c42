// Shared primitives of Istio's webhook validation (ISTIO-VALIDATION.md section A.2, rows 8-33).
// Entry points: the check* functions below; each returns "" when valid, else the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "frontend/istio/host.h"
#include "frontend/istio/protocol.h"
#include "frontend/reporter.h"
#include "frontend/resource.h"
#include "frontend/yaml_tree.h"

namespace meshc::frontend::validation {

// --- Names and hosts -------------------------------------------------------------------------
bool isDns1123Label(std::string_view s);          // #8 (upper case accepted, <= 63)
bool isWildcardDns1123Label(std::string_view s);  // #9
std::string checkWildcardDomain(std::string_view host);  // #10
std::string checkFqdn(std::string_view host);            // #11
bool isPartialWildcard(std::string_view host);           // #12: true when the host is invalid
bool isValidPort(int64_t port);                          // #13: 1..65535

// --- Durations (Go time.ParseDuration syntax, as Istio's YAML conversion accepts) ------------
/// Nanoseconds, or nullopt when the text is not a duration.
std::optional<int64_t> parseDuration(std::string_view text);
/// #14: "" when >= 1ms and a whole number of milliseconds; else the reason.
std::string checkDuration(std::string_view text);

// --- Addresses -------------------------------------------------------------------------------
bool isIpAddress(std::string_view s);  // #15 (v4 or v6, no CIDR)
bool isIpOrCidr(std::string_view s);   // #16
std::string checkUnixAddress(std::string_view path_after_prefix);  // #22

// --- Labels, ports, protocols ----------------------------------------------------------------
/// #17: reports one finding per bad key or value of a label map node, under id.
void checkLabelMap(const Node* labels, Reporter& rep, std::string_view id);
bool isValidPortName(std::string_view s);  // #18

// Protocol names and classes: frontend/istio/protocol.h.
using istio::isHttpProtocol;
using istio::isTcpProtocol;
using istio::isTlsProtocol;
using istio::parseProtocol;
using istio::Protocol;
/// #19: "" for empty (sniffing) or a known protocol.
std::string checkProtocol(std::string_view s);

/// #20: exportTo list rules; reports under id.
void checkExportTo(const Node* export_to, bool is_service_entry, Reporter& rep, std::string_view id);

// --- Regex, string matches, headers ------------------------------------------------------------
std::string checkRegex(std::string_view re);  // #23: RE2 syntax, <= 1024 chars
/// #24: StringMatch node rules (prefix "" / regex "" errors; regex compiled). allow_empty_prefix
/// is true for `uri` (V22).
void checkStringMatch(const Node* match, Reporter& rep, std::string_view id,
                      bool allow_empty_prefix);
std::string checkHeaderValue(std::string_view value);           // #25
bool isJwtClaimHeader(std::string_view name);                   // @request.auth.claims...
std::string checkMatchHeaderName(std::string_view name);        // #26
std::string checkRequestHeaderAddSetName(std::string_view name);   // #27
std::string checkHeaderOperationName(std::string_view name);       // #28
std::string checkCorsHeaderName(std::string_view name);            // #29

// --- Selectors, destinations, gateway names --------------------------------------------------
/// #30 (DR). Errors (at the offending key/value) and the no-matchLabels warning all use id.
void checkWorkloadSelector(const Node* selector, Reporter& rep, std::string_view id);
/// #31 (Sidecar/SE). Returns false when an error short-circuits the rest of validation.
/// Errors and the empty-labels warning (message empty_labels_warning, or a default) use id.
bool checkAlphaWorkloadSelector(const Node* selector, Reporter& rep, std::string_view id,
                                std::string_view empty_labels_warning);
void checkDestination(const Node* destination, Reporter& rep, std::string_view id);  // #32
/// #33. keep_warnings=false drops the legacy-format warning (match gateways, A.0).
void checkGatewayNames(const Node* gateways, Reporter& rep, std::string_view id,
                       bool keep_warnings);
/// #33 with the legacy-format warning under its own id (empty warning_id drops it).
void checkGatewayNamesSplitIds(const Node* gateways, Reporter& rep, std::string_view error_id,
                               std::string_view warning_id);

// --- Host algebra: frontend/istio/host.h ------------------------------------------------------
using istio::hostMatches;
using istio::hostSubsetOf;

}  // namespace meshc::frontend::validation
