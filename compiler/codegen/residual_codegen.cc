// Residual predicates of a route (headers, query parameters, JWT claims) as a per-route
// function. Entry point: RouteCodegen::residualFunction().
#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>

#include "codegen/route_codegen.h"

namespace meshc::codegen::detail {

llvm::Function* RouteCodegen::residualFunction(const ir::RouteEntry& route, uint32_t config,
                                               uint32_t vhost, uint32_t index) {
  llvm::Function* fn = defineFunction(
      i1_, {ptr_},
      "r." + std::to_string(config) + "." + std::to_string(vhost) + "." + std::to_string(index));
  llvm::IRBuilderBase::InsertPointGuard guard(b_);
  llvm::Value* req = fn->getArg(0);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn));
  llvm::AllocaInst* out = b_.CreateAlloca(str_);
  llvm::BasicBlock* fail = llvm::BasicBlock::Create(ctx_, "fail", fn);
  auto field = [&](uint32_t i) {
    return b_.CreateLoad(i == 0 ? static_cast<llvm::Type*>(ptr_) : i64_,
                         b_.CreateStructGEP(str_, out, i));
  };
  auto lookup = [&](llvm::Function* helper, const std::string& name) {
    llvm::Value* r = b_.CreateCall(
        helper, {req, constString(name), llvm::ConstantInt::get(i64_, name.size()), out});
    return b_.CreateICmpNE(r, llvm::ConstantInt::get(i32_, 0));
  };
  for (const ir::HeaderTest& h : route.headers) {
    llvm::Value* present = lookup(h_header_, h.name);
    llvm::BasicBlock* has = newBlock("has");
    llvm::BasicBlock* missing = newBlock("missing");
    llvm::BasicBlock* next = newBlock("next");
    b_.CreateCondBr(present, has, missing);
    // Envoy (SEMANTICS 3.4): an absent header passes only an inverted presence matcher, unless
    // treat_missing_header_as_empty makes it "".
    b_.SetInsertPoint(missing);
    if (!h.treat_missing_as_empty) {
      b_.CreateBr(h.invert && h.present_match ? next : fail);
    }
    llvm::BasicBlock* eval = newBlock("eval");
    llvm::BasicBlock* missing_end = b_.GetInsertBlock();
    if (h.treat_missing_as_empty) {
      b_.CreateBr(eval);
    }
    b_.SetInsertPoint(has);
    llvm::Value* data = field(0);
    llvm::Value* size = field(1);
    b_.CreateBr(eval);
    b_.SetInsertPoint(eval);
    llvm::PHINode* pdata = b_.CreatePHI(ptr_, 2);
    llvm::PHINode* psize = b_.CreatePHI(i64_, 2);
    pdata->addIncoming(data, has);
    psize->addIncoming(size, has);
    if (h.treat_missing_as_empty) {
      pdata->addIncoming(llvm::ConstantPointerNull::get(ptr_), missing_end);
      psize->addIncoming(llvm::ConstantInt::get(i64_, 0), missing_end);
    }
    llvm::Value* ok = h.present_match || !h.match
                          ? static_cast<llvm::Value*>(llvm::ConstantInt::getTrue(ctx_))
                          : stringTest(*h.match, req, pdata, psize);
    if (h.invert) {
      ok = b_.CreateNot(ok);
    }
    b_.CreateCondBr(ok, next, fail);
    b_.SetInsertPoint(next);
  }
  for (const ir::QueryTest& q : route.query_parameters) {
    llvm::Value* present = lookup(h_query_, q.name);
    llvm::BasicBlock* has = newBlock("has");
    b_.CreateCondBr(present, has, fail);
    b_.SetInsertPoint(has);
    if (q.match) {
      llvm::Value* ok = stringTest(*q.match, req, field(0), field(1));
      llvm::BasicBlock* next = newBlock("next");
      b_.CreateCondBr(ok, next, fail);
      b_.SetInsertPoint(next);
    }
  }
  for (const ir::ClaimTest& c : route.claims) {
    llvm::Value* present = lookup(h_claim_, c.path);
    llvm::BasicBlock* from = b_.GetInsertBlock();
    llvm::BasicBlock* has = newBlock("has");
    llvm::BasicBlock* join = newBlock("join");
    b_.CreateCondBr(present, has, join);
    b_.SetInsertPoint(has);
    llvm::Value* matched = c.match ? stringTest(*c.match, req, field(0), field(1))
                                   : static_cast<llvm::Value*>(llvm::ConstantInt::getTrue(ctx_));
    llvm::BasicBlock* has_end = b_.GetInsertBlock();
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
    llvm::PHINode* ok = b_.CreatePHI(i1_, 2);
    ok->addIncoming(llvm::ConstantInt::getFalse(ctx_), from);
    ok->addIncoming(matched, has_end);
    llvm::BasicBlock* next = newBlock("next");
    // The claim test fails when ok == invert.
    b_.CreateCondBr(c.invert ? b_.CreateNot(ok) : static_cast<llvm::Value*>(ok), next, fail);
    b_.SetInsertPoint(next);
  }
  b_.CreateRet(llvm::ConstantInt::getTrue(ctx_));
  b_.SetInsertPoint(fail);
  b_.CreateRet(llvm::ConstantInt::getFalse(ctx_));
  return fn;
}

}  // namespace meshc::codegen::detail
