// Envoy's command operators in header values (PROXY-SEMANTICS R3.8): what "%REQ(x-a)%" or
// "%DOWNSTREAM_REMOTE_ADDRESS%" becomes on one request. Entry point: formatHeaderValue().
#pragma once

#include <string>
#include <string_view>

#include "http/header_map.h"
#include "router/route_actions.h"

namespace meshc::router {

/// R3.8: `value` with its operators substituted, as Envoy's header formatter (omit_empty_values)
/// does: `%%` → `%`; `%DOWNSTREAM_REMOTE_ADDRESS%`, `%DOWNSTREAM_LOCAL_ADDRESS%` ("ip:port") and
/// their `_WITHOUT_PORT` forms; `%HOSTNAME%`; `%PROTOCOL%`; `%REQ(h)%`, `%REQ(h?alt)%` (the first
/// value of request header h, else of alt; pseudo headers and `host` from context.request) and
/// `%RESP(h)%` (from `response`, when given), each optionally cut to N bytes by a `:N` suffix.
/// Never fails: an operator this list lacks, or a value that is unknown, gives "" (Envoy omits
/// empty values); text that is not an operator (a lone '%') is copied as it is, since Istio's
/// validation refuses it before it could reach a proxy.
std::string formatHeaderValue(std::string_view value, const FormatContext& context,
                              const http::HeaderMap* response = nullptr);

}  // namespace meshc::router
