// compileNative(): module per proxy, LLVM's -O2 pipeline for functions of reasonable size
// (optnone + fast instruction selection above CodegenOptions::max_optimized_instructions), then
// one ELF relocatable object for the target CPU.
#include <llvm/Analysis/CGSCCPassManager.h>
#include <llvm/Analysis/LoopAnalysisManager.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

#include <chrono>
#include <memory>
#include <mutex>

#include "base/quote.h"
#include "codegen/codegen.h"
#include "codegen/route_codegen.h"
#include "native/native_abi.h"
#include "native/native_router.h"

namespace meshc::codegen {

namespace {

void initializeTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// "+avx2,+bmi,..." for this host, sorted so the same CPU always gives the same string.
std::string hostFeatures() {
  std::vector<std::string> on;
  for (const auto& f : llvm::sys::getHostCPUFeatures()) {
    if (f.second) {
      on.push_back("+" + f.first().str());
    }
  }
  std::sort(on.begin(), on.end());
  std::string out;
  for (const std::string& f : on) {
    out += (out.empty() ? "" : ",") + f;
  }
  return out;
}

}  // namespace

bool nativeCodegenAvailable() {
  initializeTargets();
  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string error;
  return triple.getArch() == llvm::Triple::x86_64 && triple.isOSLinux() &&
         llvm::TargetRegistry::lookupTarget(triple.str(), error) != nullptr;
}

Expected<NativeObject> compileNative(const std::vector<ir::RouteProgram>& programs,
                                     const CodegenOptions& options) {
  if (!nativeCodegenAvailable()) {
    return Status::error(StatusCode::kUnsupported,
                         "native code generation needs an x86-64 Linux host (this is " +
                             llvm::sys::getProcessTriple() + ")");
  }
  NativeObject out;
  CodegenStats& stats = out.stats;
  std::string triple = llvm::Triple(llvm::sys::getProcessTriple()).normalize();
  std::string cpu = options.cpu;
  std::string features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    features = hostFeatures();
  }
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (target == nullptr) {
    return Status::error(StatusCode::kUnsupported,
                         "LLVM has no target for " + triple + ": " + error);
  }
  {
    std::unique_ptr<llvm::MCSubtargetInfo> sti(target->createMCSubtargetInfo(triple, "", ""));
    if (sti == nullptr || !sti->isCPUStringValid(cpu)) {
      return Status::error(StatusCode::kInvalidArgument,
                           "unknown CPU " + quote(cpu) +
                               "; use x86-64, native, or an LLVM CPU name such as haswell");
    }
  }
  llvm::TargetOptions target_options;
  std::unique_ptr<llvm::TargetMachine> tm(
      target->createTargetMachine(triple, cpu, features, target_options, llvm::Reloc::PIC_,
                                  llvm::CodeModel::Small, llvm::CodeGenOptLevel::Default));
  if (tm == nullptr) {
    return Status::error(StatusCode::kInvalidArgument, "LLVM cannot target CPU " + quote(cpu));
  }

  auto start = std::chrono::steady_clock::now();
  llvm::LLVMContext ctx;
  auto module = std::make_unique<llvm::Module>("meshc_routes", ctx);
  module->setTargetTriple(triple);
  module->setDataLayout(tm->createDataLayout());
  std::string prefix = native::entrySymbolPrefix();
  {
    detail::RouteCodegen gen(*module, options, stats);
    for (size_t i = 0; i < programs.size(); ++i) {
      gen.emitRouteConfig(programs[i], static_cast<uint32_t>(i), prefix + std::to_string(i));
      if (options.progress) {
        options.progress(i + 1, programs.size() * 2);
      }
    }
  }
  std::string verify_errors;
  llvm::raw_string_ostream verify_stream(verify_errors);
  if (llvm::verifyModule(*module, &verify_stream)) {
    return Status::error(StatusCode::kInternal, "generated LLVM IR does not verify: " +
                                                    verify_stream.str().substr(0, 2000));
  }
  if (options.llvm_ir != nullptr) {
    llvm::raw_string_ostream os(*options.llvm_ir);
    module->print(os, nullptr);
  }
  for (llvm::Function& fn : *module) {
    if (fn.isDeclaration()) {
      continue;
    }
    size_t n = fn.getInstructionCount();
    stats.instructions += n;
    if (n > options.max_optimized_instructions) {
      fn.addFnAttr(llvm::Attribute::OptimizeNone);
      fn.addFnAttr(llvm::Attribute::NoInline);
      ++stats.unoptimized_functions;
    }
  }
  stats.lower_ms = msSince(start);
  int level = options.opt_level;
  if (level < 0) {
    level = stats.instructions <= options.small_module_instructions ? 2 : 0;
  }
  stats.opt_level = level;
  tm->setOptLevel(level >= 2   ? llvm::CodeGenOptLevel::Default
                  : level == 1 ? llvm::CodeGenOptLevel::Less
                               : llvm::CodeGenOptLevel::None);

  start = std::chrono::steady_clock::now();
  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    if (level > 0) {
      llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(
          level >= 2 ? llvm::OptimizationLevel::O2 : llvm::OptimizationLevel::O1);
      mpm.run(*module, mam);
    }
  }
  stats.optimize_ms = msSince(start);
  if (options.progress) {
    options.progress(programs.size() + programs.size() / 2, programs.size() * 2);
  }

  start = std::chrono::steady_clock::now();
  llvm::SmallVector<char, 0> buffer;
  {
    llvm::raw_svector_ostream os(buffer);
    llvm::legacy::PassManager pm;
    if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
      return Status::error(StatusCode::kUnsupported, "LLVM cannot emit objects for " + triple);
    }
    pm.run(*module);
  }
  stats.emit_ms = msSince(start);
  if (options.progress) {
    options.progress(programs.size() * 2, programs.size() * 2);
  }
  out.object.assign(buffer.begin(), buffer.end());
  out.function_count = static_cast<uint32_t>(programs.size());
  out.platform.triple = triple;
  out.platform.cpu = cpu;
  out.platform.features = features;
  out.platform.llvm_version = LLVM_VERSION_STRING;
  out.platform.symbol_prefix = prefix;
  out.platform.function_count = out.function_count;
  out.platform.object_size = out.object.size();
  return out;
}

}  // namespace meshc::codegen
