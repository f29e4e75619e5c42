// Links a bundle's native route-selection code into this process with ORC (LLJIT + JITLink)
// and calls it. The only runtime file that touches LLVM. Entry points: NativeRouter::load(),
// platformRunsHere(), loadBundleNative().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "bundle/bundle_reader.h"
#include "routing/request.h"
#include "routing/route_decision.h"
#include "routing/route_tree.h"
#include "base/status.h"

namespace meshc::native {

/// Entry symbols are this prefix + the route configuration index ("meshc_v1_rc_0", ...); the
/// ABI version is part of it so objects built for another ABI fail to link.
std::string entrySymbolPrefix();

/// Whether code built for `platform` runs on this host (same architecture and OS, every CPU
/// feature it was compiled for present). False with the reason in *why.
bool platformRunsHere(const bundle::NativePlatform& platform, std::string* why);

/// Native route selection for every route configuration of one object.
class NativeRouter {
 public:
  /// Links `object` (an ELF relocatable object from compileNative()) with the runtime helpers
  /// and looks up `entry_count` entry points. Fails with kUnsupported when the platform does not
  /// run here, kCorrupt when the object does not link or an entry point is missing.
  static Expected<std::unique_ptr<NativeRouter>> load(std::string_view object,
                                                      const bundle::NativePlatform& platform,
                                                      uint32_t entry_count);
  ~NativeRouter();
  NativeRouter(const NativeRouter&) = delete;
  NativeRouter& operator=(const NativeRouter&) = delete;

  /// Route selection in route configuration `index`; `program` must be the tree the code was
  /// compiled from (regexes and the interpreter fallback come from it). Thread-safe.
  ir::RouteDecision evaluate(size_t index, const ir::RouteProgram& program,
                             const ir::RequestView& request) const;
  size_t size() const;

 private:
  NativeRouter();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Loads a bundle's native code when it has some and it runs here. Returns null when the bundle
/// has none, or (with *warning set and the fallback counter incremented) when the platform does
/// not fit or linking fails: the caller then uses the portable tree.
std::unique_ptr<NativeRouter> loadBundleNative(const bundle::Bundle& bundle, std::string* warning);

/// How many bundles this process loaded on the portable tree because their native code did not
/// fit the host (for meshproxy's stats and tests).
uint64_t nativeFallbackCount();

}  // namespace meshc::native
