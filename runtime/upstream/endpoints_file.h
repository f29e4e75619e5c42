// `meshproxy --endpoints FILE`: endpoint lists that replace those of named clusters without a
// new bundle. Entry points: parseEndpointsFile(), applyEndpoints().
//
// Format (JSON, written by `meshc endpoints`):
//   {"version": 1,
//    "clusters": [{"name": "outbound|9080||reviews.default.svc.cluster.local",
//                  "endpoints": [{"address": "10.1.0.7", "port": 9080, "weight": 1,
//                                 "labels": {"version": "v1"}}]}]}
// `weight` defaults to 1, `labels` to none; `address` may be a DNS name for STRICT_DNS clusters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "xds/proxy_config.h"

namespace meshc::upstream {

struct ClusterEndpoints {
  std::string name;
  std::vector<xds::Endpoint> endpoints;
};

struct EndpointsFile {
  std::vector<ClusterEndpoints> clusters;
};

/// Parses the file's text (`name` appears in messages: "eps.json: clusters[2].endpoints[0]: port
/// must be 1-65535, found 0"). kInvalidArgument-style failures name the JSON path; never throws.
Expected<EndpointsFile> parseEndpointsFile(std::string_view text, std::string_view name);

/// Replaces the endpoints of every cluster the file names. A file entry for a service's plain
/// cluster `outbound|P||H` also replaces the endpoints of its subset clusters `outbound|P|S|H`
/// (the endpoints whose labels contain the subset's `subset_labels`, R4.5) unless the file names
/// the subset cluster itself. Returns the names in the file that match no cluster (the caller
/// warns about them).
std::vector<std::string> applyEndpoints(const EndpointsFile& file,
                                        std::vector<xds::Cluster>& clusters);

}  // namespace meshc::upstream
