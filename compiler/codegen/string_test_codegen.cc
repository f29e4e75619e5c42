// Envoy StringMatcher tests and regex matches as LLVM IR: inline compares, runtime helper calls,
// and native functions for simple regexes. Entry points: RouteCodegen::stringTest(),
// regexMatches().
#include <llvm/IR/CFG.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>

#include "base/ascii.h"
#include "codegen/route_codegen.h"
#include "codegen/simple_regex.h"

namespace meshc::codegen::detail {

llvm::Value* RouteCodegen::stringTest(const ir::StringTest& t, llvm::Value* req, llvm::Value* ptr,
                                      llvm::Value* size) {
  auto* n = llvm::ConstantInt::get(i64_, t.value.size());
  using K = ir::StringTest::Kind;
  if (t.kind == K::kRegex) {
    return regexMatches(req, t.regex, ptr, size);
  }
  // Folding only matters when the literal has letters: a letter never equals a non-letter.
  bool folds = t.ignore_case && ascii::hasLetter(t.value);
  if (!folds && (t.kind == K::kExact || t.kind == K::kPrefix || t.kind == K::kSuffix)) {
    // Length test, then the literal compared a word at a time at the start or the end.
    llvm::Value* len_ok =
        t.kind == K::kExact ? b_.CreateICmpEQ(size, n) : b_.CreateICmpUGE(size, n);
    if (t.value.empty()) {
      return len_ok;
    }
    llvm::BasicBlock* from = b_.GetInsertBlock();
    llvm::BasicBlock* cmp = newBlock("cmp");
    llvm::BasicBlock* done = newBlock("cmpdone");
    b_.CreateCondBr(len_ok, cmp, done);
    b_.SetInsertPoint(cmp);
    llvm::Value* at =
        t.kind == K::kSuffix ? b_.CreateInBoundsGEP(i8_, ptr, b_.CreateSub(size, n)) : ptr;
    llvm::Value* eq = equalsConst(at, t.value);
    llvm::BasicBlock* cmp_end = b_.GetInsertBlock();
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    llvm::PHINode* phi = b_.CreatePHI(i1_, 2);
    phi->addIncoming(llvm::ConstantInt::getFalse(ctx_), from);
    phi->addIncoming(eq, cmp_end);
    return phi;
  }
  uint32_t kind = t.kind == K::kExact ? 0 : t.kind == K::kPrefix ? 1 : t.kind == K::kSuffix ? 2 : 3;
  llvm::Value* r = b_.CreateCall(h_string_match_, {llvm::ConstantInt::get(i32_, kind),
                                                   llvm::ConstantInt::get(i32_, t.ignore_case), ptr,
                                                   size, constString(t.value), n});
  return b_.CreateICmpNE(r, llvm::ConstantInt::get(i32_, 0));
}

llvm::Value* RouteCodegen::regexMatches(llvm::Value* req, int32_t index, llvm::Value* ptr,
                                        llvm::Value* size) {
  if (llvm::Function* fn = simpleRegexFunction(index)) {
    // 0 no, 1 yes, 2 undecided (a non-ASCII byte where RE2's UTF-8 rules decide): ask RE2.
    llvm::Value* r = b_.CreateCall(fn, {ptr, size});
    llvm::Value* yes = b_.CreateICmpEQ(r, llvm::ConstantInt::get(i32_, 1));
    llvm::BasicBlock* from = b_.GetInsertBlock();
    llvm::BasicBlock* ask = newBlock("re2");
    llvm::BasicBlock* join = newBlock("rejoin");
    b_.CreateCondBr(b_.CreateICmpEQ(r, llvm::ConstantInt::get(i32_, 2)), ask, join);
    b_.SetInsertPoint(ask);
    llvm::Value* h = b_.CreateICmpNE(
        b_.CreateCall(h_regex_, {req, llvm::ConstantInt::get(i32_, index), ptr, size}),
        llvm::ConstantInt::get(i32_, 0));
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
    llvm::PHINode* phi = b_.CreatePHI(i1_, 2);
    phi->addIncoming(yes, from);
    phi->addIncoming(h, ask);
    return phi;
  }
  llvm::Value* r = b_.CreateCall(h_regex_, {req, llvm::ConstantInt::get(i32_, index), ptr, size});
  return b_.CreateICmpNE(r, llvm::ConstantInt::get(i32_, 0));
}

llvm::Function* RouteCodegen::simpleRegexFunction(int32_t index) {
  if (program_ == nullptr || index < 0 ||
      static_cast<size_t>(index) >= program_->regex_patterns.size() ||
      static_cast<size_t>(index) >= program_->regexes.size() ||
      program_->regexes[index] == nullptr) {
    return nullptr;  // RE2 refused it: the helper answers "no match" as the interpreter does
  }
  const std::string& pattern = program_->regex_patterns[index];
  auto it = simple_regexes_.find(pattern);
  if (it != simple_regexes_.end()) {
    return it->second;
  }
  std::optional<std::vector<RegexAtom>> atoms = parseSimpleRegex(pattern);
  llvm::Function* fn = nullptr;
  if (atoms) {
    fn = defineFunction(i32_, {ptr_, i64_}, "re");
    ++stats_.native_regexes;
    llvm::IRBuilderBase::InsertPointGuard guard(b_);
    llvm::Value* p = fn->getArg(0);
    llvm::Value* len = fn->getArg(1);
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn));
    llvm::BasicBlock* fail = llvm::BasicBlock::Create(ctx_, "fail", fn);
    llvm::IRBuilder<>(fail).CreateRet(llvm::ConstantInt::get(i32_, 0));
    llvm::BasicBlock* undecided = llvm::BasicBlock::Create(ctx_, "undecided", fn);
    llvm::IRBuilder<>(undecided).CreateRet(llvm::ConstantInt::get(i32_, 2));
    llvm::Value* i = llvm::ConstantInt::get(i64_, 0);
    // Membership: one compare for a byte, a subtract and compare for a range, else a bitmap.
    auto contains = [&](const std::bitset<256>& set, llvm::Value* byte) -> llvm::Value* {
      int lo = -1, hi = -1, runs = 0;
      for (int c = 0; c < 256; ++c) {
        if (set.test(static_cast<size_t>(c)) && (c == 0 || !set.test(static_cast<size_t>(c - 1)))) {
          ++runs;
          lo = c;
        }
        if (set.test(static_cast<size_t>(c))) {
          hi = c;
        }
      }
      if (runs == 1) {
        llvm::Value* off = b_.CreateSub(byte, llvm::ConstantInt::get(i8_, lo));
        return b_.CreateICmpULE(off, llvm::ConstantInt::get(i8_, hi - lo));
      }
      std::vector<uint8_t> bits(32, 0);
      for (int c = 0; c < 256; ++c) {
        if (set.test(static_cast<size_t>(c))) {
          bits[static_cast<size_t>(c >> 3)] |= static_cast<uint8_t>(1u << (c & 7));
        }
      }
      auto* data = llvm::ConstantDataArray::get(ctx_, bits);
      auto* table = new llvm::GlobalVariable(m_, data->getType(), true,
                                             llvm::GlobalValue::PrivateLinkage, data, ".class");
      table->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
      llvm::Value* wide = b_.CreateZExt(byte, i64_);
      llvm::Value* word = b_.CreateLoad(
          i8_,
          b_.CreateInBoundsGEP(i8_, table, b_.CreateLShr(wide, llvm::ConstantInt::get(i64_, 3))));
      llvm::Value* bit = b_.CreateLShr(word, b_.CreateTrunc(b_.CreateAnd(wide, 7), i8_));
      return b_.CreateICmpNE(b_.CreateAnd(bit, llvm::ConstantInt::get(i8_, 1)),
                             llvm::ConstantInt::get(i8_, 0));
    };
    std::bitset<256> high_bytes;
    for (int c = 0x80; c < 256; ++c) {
      high_bytes.set(static_cast<size_t>(c));
    }
    // One byte of `set` at i, else `miss`; returns i + 1.
    auto one = [&](const std::bitset<256>& set, llvm::Value* at, llvm::BasicBlock* miss) {
      llvm::BasicBlock* have = newBlock("have");
      b_.CreateCondBr(b_.CreateICmpULT(at, len), have, miss);
      b_.SetInsertPoint(have);
      llvm::Value* byte = b_.CreateLoad(i8_, b_.CreateInBoundsGEP(i8_, p, at));
      if ((set & high_bytes).any()) {
        // The class takes whole code points; only RE2 knows what a non-ASCII run is.
        llvm::BasicBlock* ascii = newBlock("ascii");
        b_.CreateCondBr(b_.CreateICmpSLT(byte, llvm::ConstantInt::get(i8_, 0)), undecided, ascii);
        b_.SetInsertPoint(ascii);
      }
      llvm::BasicBlock* in = newBlock("in");
      b_.CreateCondBr(contains(set, byte), in, miss);
      b_.SetInsertPoint(in);
      return b_.CreateAdd(at, llvm::ConstantInt::get(i64_, 1));
    };
    for (const RegexAtom& atom : *atoms) {
      switch (atom.repeat) {
        case RegexAtom::Repeat::kOne:
          i = one(atom.bytes, i, fail);
          break;
        case RegexAtom::Repeat::kOptional: {
          llvm::BasicBlock* join = newBlock("join");
          llvm::Value* next = one(atom.bytes, i, join);
          llvm::BasicBlock* took = b_.GetInsertBlock();
          b_.CreateBr(join);
          b_.SetInsertPoint(join);
          llvm::PHINode* phi = b_.CreatePHI(i64_, 3);
          // Both failure edges of one() come from blocks created inside it; collect them.
          for (llvm::BasicBlock* pred : llvm::predecessors(join)) {
            phi->addIncoming(pred == took ? next : i, pred);
          }
          i = phi;
          break;
        }
        case RegexAtom::Repeat::kPlus:
          i = one(atom.bytes, i, fail);
          [[fallthrough]];
        case RegexAtom::Repeat::kStar: {
          llvm::BasicBlock* pre = b_.GetInsertBlock();
          llvm::BasicBlock* loop = newBlock("loop");
          llvm::BasicBlock* done = newBlock("done");
          b_.CreateBr(loop);
          b_.SetInsertPoint(loop);
          llvm::PHINode* j = b_.CreatePHI(i64_, 2);
          j->addIncoming(i, pre);
          llvm::Value* next = one(atom.bytes, j, done);
          j->addIncoming(next, b_.GetInsertBlock());
          b_.CreateBr(loop);
          b_.SetInsertPoint(done);
          llvm::PHINode* out = b_.CreatePHI(i64_, 2);
          for (llvm::BasicBlock* pred : llvm::predecessors(done)) {
            out->addIncoming(j, pred);
          }
          i = out;
          break;
        }
      }
    }
    b_.CreateRet(b_.CreateZExt(b_.CreateICmpEQ(i, len), i32_));
  }
  simple_regexes_.emplace(pattern, fn);
  return fn;
}

}  // namespace meshc::codegen::detail
