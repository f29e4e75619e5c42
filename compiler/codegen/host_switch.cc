// Host selection: the exported function of a route configuration, which switches on the host
// (exact, suffix and prefix wildcards, "*") and calls the chosen virtual host's function.
// Entry point: RouteCodegen::emitRouteConfig().
#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>

#include <algorithm>

#include "codegen/route_codegen.h"
#include "codegen/route_codegen_internal.h"

namespace meshc::codegen::detail {

void RouteCodegen::emitRouteConfig(const ir::RouteProgram& program, uint32_t index,
                                   const std::string& symbol) {
  ++stats_.route_configs;
  program_ = &program;
  std::vector<llvm::Function*> hosts;
  for (uint32_t v = 0; v < program.virtual_hosts.size(); ++v) {
    hosts.push_back(emitVirtualHost(program, index, v));
    ++stats_.virtual_hosts;
  }
  llvm::Function* fn = defineFunction(i64_, {ptr_}, symbol, /*exported=*/true);
  llvm::IRBuilderBase::InsertPointGuard guard(b_);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn));
  llvm::Value* req = fn->getArg(0);
  llvm::Value* host = loadField(req, kHostOffset, ptr_);
  llvm::Value* len = loadField(req, kHostOffset + 8, i64_);
  // One block per virtual host: select its route and return (vhost << 32) | route.
  std::vector<llvm::BasicBlock*> found(hosts.size());
  for (size_t v = 0; v < hosts.size(); ++v) {
    found[v] = llvm::BasicBlock::Create(ctx_, "vh", fn);
    llvm::IRBuilder<> rb(found[v]);
    llvm::Value* route = rb.CreateZExt(rb.CreateCall(hosts[v], {req}), i64_);
    rb.CreateRet(rb.CreateOr(route, llvm::ConstantInt::get(i64_, uint64_t{v} << 32)));
  }
  llvm::BasicBlock* none = llvm::BasicBlock::Create(ctx_, "none", fn);
  llvm::IRBuilder<>(none).CreateRet(llvm::ConstantInt::get(i64_, ~uint64_t{0}));
  const ir::HostTable& t = program.hosts;
  auto target = [&](uint32_t v) { return v < found.size() ? found[v] : none; };
  llvm::BasicBlock* fallback =
      t.default_host >= 0 ? target(static_cast<uint32_t>(t.default_host)) : none;
  if (t.exact.empty() && t.suffixes.empty() && t.prefixes.empty()) {
    b_.CreateBr(fallback);  // Envoy's fast path: only "*"
    return;
  }
  // Stages in Envoy's order: exact, suffix wildcards longest first, prefix wildcards longest
  // first, then "*". Each stage falls through to the next.
  auto sorted = [](const ir::DomainMap& m) {
    std::vector<std::pair<std::string, uint32_t>> v(m.begin(), m.end());
    std::sort(v.begin(), v.end());
    return v;
  };
  auto keysFor = [&](const ir::DomainMap& m) {
    std::vector<std::pair<std::string, llvm::BasicBlock*>> keys;
    for (auto& [k, v] : sorted(m)) {
      keys.emplace_back(k, target(v));
    }
    return keys;
  };
  if (!t.exact.empty()) {
    llvm::BasicBlock* next = llvm::BasicBlock::Create(ctx_, "suffixes", fn);
    stringSwitch(host, len, keysFor(t.exact), next);
    b_.SetInsertPoint(next);
  }
  for (const ir::WildcardGroup& g : t.suffixes) {
    llvm::BasicBlock* next = llvm::BasicBlock::Create(ctx_, "next", fn);
    llvm::BasicBlock* probe = llvm::BasicBlock::Create(ctx_, "suffix", fn);
    // The '*' must stand for at least one character.
    b_.CreateCondBr(b_.CreateICmpUGT(len, llvm::ConstantInt::get(i64_, g.length)), probe, next);
    b_.SetInsertPoint(probe);
    llvm::Value* at =
        b_.CreateInBoundsGEP(i8_, host, b_.CreateSub(len, llvm::ConstantInt::get(i64_, g.length)));
    fixedSwitch(at, 0, g.length, keysFor(g.keys), next);
    b_.SetInsertPoint(next);
  }
  for (const ir::WildcardGroup& g : t.prefixes) {
    llvm::BasicBlock* next = llvm::BasicBlock::Create(ctx_, "next", fn);
    llvm::BasicBlock* probe = llvm::BasicBlock::Create(ctx_, "prefix", fn);
    b_.CreateCondBr(b_.CreateICmpUGT(len, llvm::ConstantInt::get(i64_, g.length)), probe, next);
    b_.SetInsertPoint(probe);
    fixedSwitch(host, 0, g.length, keysFor(g.keys), next);
    b_.SetInsertPoint(next);
  }
  b_.CreateBr(fallback);
}

}  // namespace meshc::codegen::detail
