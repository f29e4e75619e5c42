// NativeRouter: one LLJIT per loaded object; helpers (and the few libc routines LLVM may call)
// are defined as absolute symbols, so linking never consults the dynamic linker.
#include "native/native_router.h"

#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>

#include "base/ascii.h"
#include "routing/interpreter.h"
#include "native/native_abi.h"

namespace meshc::native {

static_assert(offsetof(MeshcRequest, host) == 0 && offsetof(MeshcRequest, path) == 16 &&
                  offsetof(MeshcRequest, lower_path) == 32 && offsetof(MeshcRequest, view) == 48 &&
                  offsetof(MeshcRequest, program) == 56 && offsetof(MeshcRequest, serial) == 64,
              "MeshcRequest layout is ABI (compiler/codegen/route_codegen.cc)");

namespace {

std::atomic<uint64_t> g_fallbacks{0};

void initializeTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

MeshcStr str(const std::string& s) { return {s.data(), s.size()}; }

}  // namespace

std::string entrySymbolPrefix() { return "meshc_v" + std::to_string(kNativeAbiVersion) + "_rc_"; }

bool platformRunsHere(const bundle::NativePlatform& platform, std::string* why) {
  llvm::Triple want(platform.triple);
  llvm::Triple host(llvm::sys::getProcessTriple());
  if (want.getArch() != host.getArch() || want.getOS() != host.getOS() ||
      want.getObjectFormat() != host.getObjectFormat()) {
    *why = "native code is for " + platform.triple + ", this host is " + host.str();
    return false;
  }
  auto host_features = llvm::sys::getHostCPUFeatures();
  std::string missing;
  std::string_view list = platform.features;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view f = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (f.size() < 2 || f[0] != '+') {
      continue;  // "-feature" never stops code from running
    }
    auto it = host_features.find(llvm::StringRef(f.data() + 1, f.size() - 1));
    if (it != host_features.end() && !it->second) {
      missing += (missing.empty() ? "" : ",") + std::string(f);
    }
  }
  if (!missing.empty()) {
    *why = "native code for CPU " + platform.cpu + " needs " + missing + ", which this CPU lacks";
    return false;
  }
  return true;
}

struct NativeRouter::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::vector<MeshcRouteFn> entries;
};

NativeRouter::NativeRouter() : impl_(std::make_unique<Impl>()) {}
NativeRouter::~NativeRouter() = default;

size_t NativeRouter::size() const { return impl_->entries.size(); }

Expected<std::unique_ptr<NativeRouter>> NativeRouter::load(std::string_view object,
                                                           const bundle::NativePlatform& platform,
                                                           uint32_t entry_count) {
  std::string why;
  if (!platformRunsHere(platform, &why)) {
    return Status::error(StatusCode::kUnsupported, why);
  }
  if (platform.symbol_prefix != entrySymbolPrefix()) {
    return Status::error(StatusCode::kUnsupported,
                         "native code uses entry points \"" + platform.symbol_prefix +
                             "N\", this runtime calls \"" + entrySymbolPrefix() + "N\"");
  }
  initializeTargets();
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit) {
    return Status::error(StatusCode::kInternal, "LLJIT: " + llvm::toString(jit.takeError()));
  }
  llvm::orc::JITDylib& jd = (*jit)->getMainJITDylib();
  llvm::orc::SymbolMap symbols;
  auto define = [&](const char* name, void* address) {
    symbols[(*jit)->mangleAndIntern(name)] = llvm::orc::ExecutorSymbolDef(
        llvm::orc::ExecutorAddr::fromPtr(address),
        llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
  };
  uint32_t count = 0;
  const HelperSymbol* helpers = helperSymbols(&count);
  for (uint32_t i = 0; i < count; ++i) {
    define(helpers[i].name, helpers[i].address);
  }
  // LLVM may turn byte loops or aggregate copies into these.
  define("memcmp", reinterpret_cast<void*>(&std::memcmp));
  define("memcpy", reinterpret_cast<void*>(&std::memcpy));
  define("memmove", reinterpret_cast<void*>(&std::memmove));
  define("memset", reinterpret_cast<void*>(&std::memset));
  if (llvm::Error err = jd.define(llvm::orc::absoluteSymbols(std::move(symbols)))) {
    return Status::error(StatusCode::kInternal,
                         "defining runtime helpers: " + llvm::toString(std::move(err)));
  }
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(object.data(), object.size()),
                                                     "routes.o");
  if (llvm::Error err = (*jit)->addObjectFile(std::move(buffer))) {
    return Status::error(StatusCode::kCorrupt, "native object: " + llvm::toString(std::move(err)));
  }
  std::unique_ptr<NativeRouter> router(new NativeRouter());
  for (uint32_t i = 0; i < entry_count; ++i) {
    auto sym = (*jit)->lookup(platform.symbol_prefix + std::to_string(i));
    if (!sym) {
      return Status::error(StatusCode::kCorrupt, "native object: entry point " + std::to_string(i) +
                                                     ": " + llvm::toString(sym.takeError()));
    }
    router->impl_->entries.push_back(sym->toPtr<MeshcRouteFn>());
  }
  router->impl_->jit = std::move(*jit);
  return router;
}

ir::RouteDecision NativeRouter::evaluate(size_t index, const ir::RouteProgram& program,
                                         const ir::RequestView& request) const {
  thread_local uint64_t serial = 0;
  thread_local std::string authority;
  MeshcRequest r{};
  if (program.ignore_port_in_host_matching) {
    r.host = str(request.host());
  } else {
    authority = ascii::toLower(request.authority());
    r.host = str(authority);
  }
  r.path = str(request.path());
  r.lower_path = str(request.lowerPath());
  r.view = &request;
  r.program = &program;
  r.serial = ++serial;
  uint64_t answer = impl_->entries[index](&r);
  ir::RouteDecision d;
  uint32_t vhost = static_cast<uint32_t>(answer >> 32);
  uint32_t route = static_cast<uint32_t>(answer);
  if (vhost == UINT32_MAX) {
    return d;
  }
  d.virtual_host = static_cast<int32_t>(vhost);
  if (route == UINT32_MAX) {
    d.kind = ir::RouteDecision::Kind::kNoRoute;
    return d;
  }
  d.kind = ir::RouteDecision::Kind::kRoute;
  d.route = static_cast<int32_t>(route);
  return d;
}

std::unique_ptr<NativeRouter> loadBundleNative(const bundle::Bundle& bundle, std::string* warning) {
  if (!bundle.native) {
    return nullptr;
  }
  Expected<std::unique_ptr<NativeRouter>> router = NativeRouter::load(
      bundle.native_object, *bundle.native, static_cast<uint32_t>(bundle.programs.size()));
  if (!router) {
    g_fallbacks.fetch_add(1, std::memory_order_relaxed);
    *warning = router.status().message() + "; routing on the portable decision tree instead";
    return nullptr;
  }
  return std::move(*router);
}

uint64_t nativeFallbackCount() { return g_fallbacks.load(std::memory_order_relaxed); }

}  // namespace meshc::native
