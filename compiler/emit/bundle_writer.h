// Writes a routing bundle (runtime/bundle/format.h) from one proxy's configuration and its
// decision trees. Entry points: BundleInputs, writeBundle(), hashInputs().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bundle/bundle_reader.h"
#include "routing/route_tree.h"
#include "xds/proxy_config.h"

namespace meshc::emit {

/// Native code to embed: the platform sub-header fields and the relocatable object.
struct NativeCode {
  bundle::NativePlatform platform;  // object_size and function_count are filled in by the writer
  std::string object;
  uint32_t function_count = 0;
};

struct BundleInputs {
  const xds::ProxyConfig* config = nullptr;
  const std::vector<ir::RouteProgram>* programs = nullptr;  // parallel to config->route_configs
  std::vector<std::string> source_files;  // SourceLoc::file → path, as the user named the file
  std::string compiler_version;           // at most 15 bytes are kept
  uint64_t input_hash = 0;
  std::optional<NativeCode> native;
};

/// How an input file is named in a bundle (source map and input hash), so that the bytes do not
/// depend on how the path was spelled: lexically normalised ("./a//b/../c.yaml" is "a/c.yaml"),
/// and an absolute path under the current directory made relative to it. Symlinks are not
/// resolved; "-" (stdin) stays "-".
std::string bundleSourcePath(std::string_view path);

/// The bundle bytes. Deterministic: the same inputs give byte-identical output (hash maps are
/// written sorted, strings are numbered in first-use order of a fixed traversal, no timestamps).
std::string writeBundle(const BundleInputs& inputs);

/// FNV-1a 64 over length-prefixed parts (file paths and contents, proxy selection options), so
/// reordering or moving bytes between parts changes the hash.
uint64_t hashInputs(const std::vector<std::string_view>& parts);

}  // namespace meshc::emit
