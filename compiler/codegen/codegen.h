// Native code for the routing IR: every route configuration's decision tree becomes one LLVM
// function (host selection) calling one function per virtual host (path trie as control flow,
// ordered candidates with inline residual predicates), compiled to a relocatable object that the
// runtime links with ORC (runtime/native/native_router.h). Entry point: compileNative().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bundle/bundle_reader.h"
#include "routing/route_tree.h"
#include "base/status.h"

namespace meshc::codegen {

struct CodegenOptions {
  /// "x86-64" (generic, the default: runs on any x86-64 host), "native" (this host's CPU and
  /// features), or an LLVM CPU name.
  std::string cpu = "x86-64";
  /// LLVM optimisation: -1 picks by size (modules up to small_module_instructions get the -O2
  /// pipeline and full instruction selection; larger ones go straight to fast instruction
  /// selection, which is ~10x faster to compile and measured within 10-20% at run time on
  /// bench/bench_route.cc); 0, 1 or 2 force a level.
  int opt_level = -1;
  uint32_t small_module_instructions = 8000;
  /// Functions with more LLVM instructions than this skip the -O2 pipeline (optnone) and get
  /// fast instruction selection: a 100,000-route host would otherwise spend minutes in passes.
  uint32_t max_optimized_instructions = 20000;
  /// A virtual host whose candidate lists (summed over trie exits) exceed
  /// max(min_candidate_budget, candidate_budget_per_route x routes) calls the tree interpreter
  /// from native code instead of being unrolled, so code size stays linear in the input.
  uint32_t candidate_budget_per_route = 16;
  uint32_t min_candidate_budget = 512;
  /// When set, receives the LLVM IR text before optimisation (for tests and debugging).
  std::string* llvm_ir = nullptr;
  /// Trie subtrees with at least this many nodes become functions of their own, so no function
  /// grows with the route count (instruction selection and register allocation slow down more
  /// than linearly on huge functions: one 10,000-route host took 1.6 s to emit as one function).
  uint32_t split_subtree_nodes = 256;
  /// Called with (functions done, total) while optimising and emitting; may be empty.
  std::function<void(size_t, size_t)> progress;
};

struct CodegenStats {
  size_t route_configs = 0;
  size_t virtual_hosts = 0;
  size_t native_virtual_hosts = 0;    // unrolled into native control flow
  size_t fallback_virtual_hosts = 0;  // call the interpreter (over the candidate budget)
  size_t native_regexes = 0;          // patterns matched by generated code instead of RE2
  size_t functions = 0;
  size_t instructions = 0;           // LLVM instructions before optimisation
  size_t unoptimized_functions = 0;  // over max_optimized_instructions
  int opt_level = 0;                 // the level used (see CodegenOptions::opt_level)
  double lower_ms = 0, optimize_ms = 0, emit_ms = 0;
};

struct NativeObject {
  std::string object;               // ELF relocatable object
  bundle::NativePlatform platform;  // triple, cpu, features, LLVM version, symbol prefix
  uint32_t function_count = 0;      // entry points: one per route configuration
  CodegenStats stats;
};

/// Compiles the programs (parallel to a proxy's route configurations) to one object. Fails with
/// kUnsupported when LLVM has no target for this host, kInternal when LLVM rejects the module
/// (a bug: the module verifier message is included).
Expected<NativeObject> compileNative(const std::vector<ir::RouteProgram>& programs,
                                     const CodegenOptions& options = {});

/// Whether this build can generate and run native code here (an x86-64 host with LLVM's
/// target compiled in).
bool nativeCodegenAvailable();

}  // namespace meshc::codegen
