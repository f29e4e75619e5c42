// RouteCodegen: the routing IR as LLVM control flow. Host selection is a switch on the host's
// length and then on 8/4/2/1-byte words of it (one compare chain per distinct word, never a
// byte loop); the path trie is a switch on the next path byte per node with the rest of each
// edge label compared a word at a time; every way out of the trie ends in a block that tries the
// candidates valid there in route order (statically merged from the sets of the nodes on the
// way), each with its residual predicates inline or in a per-route function.
#include "codegen/route_codegen.h"

#include <llvm/IR/CFG.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>

#include <algorithm>
#include <set>

#include "codegen/simple_regex.h"
#include "base/ascii.h"

namespace meshc::codegen::detail {

namespace {

// MeshcRequest field offsets (runtime/native/native_abi.h; ABI, static_asserted there).
constexpr uint32_t kHostOffset = 0;
constexpr uint32_t kPathOffset = 16;
constexpr uint32_t kLowerPathOffset = 32;

uint64_t littleEndianWord(std::string_view s, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  }
  return v;
}

size_t wordWidth(size_t remaining) {
  return remaining >= 8 ? 8 : remaining >= 4 ? 4 : remaining >= 2 ? 2 : 1;
}

bool trieUsed(const ir::PathTrie& t) {
  for (const ir::TrieNode& n : t.nodes) {
    if (n.prefix_set != ir::kNoSet || n.exact_set != ir::kNoSet || n.segment_set != ir::kNoSet ||
        n.regex_set != ir::kNoSet) {
      return true;
    }
  }
  return false;
}

bool hasResiduals(const ir::RouteEntry& e) {
  return !e.headers.empty() || !e.query_parameters.empty() || !e.claims.empty();
}

}  // namespace

RouteCodegen::RouteCodegen(llvm::Module& module, const CodegenOptions& options, CodegenStats& stats)
    : m_(module), ctx_(module.getContext()), options_(options), stats_(stats), b_(ctx_) {
  i1_ = llvm::Type::getInt1Ty(ctx_);
  i8_ = llvm::Type::getInt8Ty(ctx_);
  i32_ = llvm::Type::getInt32Ty(ctx_);
  i64_ = llvm::Type::getInt64Ty(ctx_);
  ptr_ = llvm::PointerType::getUnqual(ctx_);
  str_ = llvm::StructType::create(ctx_, {ptr_, i64_}, "MeshcStr");
  h_header_ = declareHelper("meshc_rt_header", i32_, {ptr_, ptr_, i64_, ptr_});
  h_query_ = declareHelper("meshc_rt_query", i32_, {ptr_, ptr_, i64_, ptr_});
  h_claim_ = declareHelper("meshc_rt_claim", i32_, {ptr_, ptr_, i64_, ptr_});
  h_string_match_ =
      declareHelper("meshc_rt_string_match", i32_, {i32_, i32_, ptr_, i64_, ptr_, i64_});
  h_regex_ = declareHelper("meshc_rt_regex", i32_, {ptr_, i32_, ptr_, i64_});
  h_regex_route_ = declareHelper("meshc_rt_regex_route", i32_, {ptr_, i32_, i32_});
  h_select_route_ = declareHelper("meshc_rt_select_route", i32_, {ptr_, i32_});
  h_eq_ignore_case_ = declareHelper("meshc_rt_equals_ignore_case", i32_, {ptr_, ptr_, i64_});
  h_merge2_ = declareHelper("meshc_rt_merge2", i32_, {ptr_, ptr_, i64_, ptr_, i64_, ptr_});
}

llvm::Function* RouteCodegen::declareHelper(const char* name, llvm::Type* ret,
                                            std::vector<llvm::Type*> args) {
  auto* fn = llvm::Function::Create(llvm::FunctionType::get(ret, args, false),
                                    llvm::Function::ExternalLinkage, name, m_);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  return fn;
}

llvm::Function* RouteCodegen::defineFunction(llvm::Type* ret, std::vector<llvm::Type*> args,
                                             const std::string& name, bool exported) {
  auto* fn = llvm::Function::Create(
      llvm::FunctionType::get(ret, args, false),
      exported ? llvm::Function::ExternalLinkage : llvm::Function::InternalLinkage, name, m_);
  fn->addFnAttr(llvm::Attribute::NoUnwind);  // every generated function (linking 10k is fast)
  ++stats_.functions;
  return fn;
}

llvm::BasicBlock* RouteCodegen::newBlock(const char* name) {
  return llvm::BasicBlock::Create(ctx_, name, b_.GetInsertBlock()->getParent());
}

llvm::Constant* RouteCodegen::constString(std::string_view s) {
  auto it = strings_.find(s);
  if (it != strings_.end()) {
    return it->second;
  }
  auto* data = llvm::ConstantDataArray::getString(ctx_, llvm::StringRef(s.data(), s.size()),
                                                  /*AddNull=*/false);
  auto* gv = new llvm::GlobalVariable(m_, data->getType(), /*isConstant=*/true,
                                      llvm::GlobalValue::PrivateLinkage, data, ".str");
  gv->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  gv->setAlignment(llvm::Align(1));
  strings_.emplace(std::string(s), gv);
  return gv;
}

llvm::Value* RouteCodegen::offsetPtr(llvm::Value* ptr, uint64_t offset) {
  // No instruction for offset 0: at 100,000 routes every instruction saved is ~5 us of emission.
  return offset == 0 ? ptr : b_.CreateConstInBoundsGEP1_64(i8_, ptr, offset);
}

llvm::Value* RouteCodegen::loadField(llvm::Value* req, uint32_t offset, llvm::Type* type) {
  llvm::Value* at = offsetPtr(req, offset);
  return b_.CreateAlignedLoad(type, at, llvm::Align(8));
}

llvm::Value* RouteCodegen::equalsConst(llvm::Value* ptr, std::string_view s) {
  llvm::Value* all = llvm::ConstantInt::getTrue(ctx_);
  for (size_t at = 0; at < s.size();) {
    size_t w = wordWidth(s.size() - at);
    auto* type = llvm::IntegerType::get(ctx_, static_cast<unsigned>(8 * w));
    llvm::Value* p = offsetPtr(ptr, at);
    llvm::Value* word = b_.CreateAlignedLoad(type, p, llvm::Align(1));
    llvm::Value* eq =
        b_.CreateICmpEQ(word, llvm::ConstantInt::get(type, littleEndianWord(s, at, w)));
    all = at == 0 ? eq : b_.CreateAnd(all, eq);
    at += w;
  }
  return all;
}

void RouteCodegen::stringSwitch(llvm::Value* ptr, llvm::Value* len,
                                const std::vector<std::pair<std::string, llvm::BasicBlock*>>& keys,
                                llvm::BasicBlock* miss) {
  std::map<size_t, std::vector<std::pair<std::string, llvm::BasicBlock*>>> by_length;
  for (const auto& k : keys) {
    by_length[k.first.size()].push_back(k);
  }
  llvm::SwitchInst* sw = b_.CreateSwitch(len, miss, static_cast<unsigned>(by_length.size()));
  for (auto& [length, group] : by_length) {
    llvm::BasicBlock* bb = newBlock("len");
    sw->addCase(llvm::ConstantInt::get(i64_, length), bb);
    b_.SetInsertPoint(bb);
    fixedSwitch(ptr, 0, length, std::move(group), miss);
  }
}

void RouteCodegen::fixedSwitch(llvm::Value* ptr, size_t offset, size_t length,
                               std::vector<std::pair<std::string, llvm::BasicBlock*>> keys,
                               llvm::BasicBlock* miss) {
  if (offset == length) {
    b_.CreateBr(keys.front().second);  // keys are unique: exactly one is left
    return;
  }
  if (keys.size() == 1) {
    std::string_view rest = std::string_view(keys.front().first).substr(offset);
    llvm::Value* p = offsetPtr(ptr, offset);
    b_.CreateCondBr(equalsConst(p, rest), keys.front().second, miss);
    return;
  }
  size_t w = wordWidth(length - offset);
  auto* type = llvm::IntegerType::get(ctx_, static_cast<unsigned>(8 * w));
  llvm::Value* p = offsetPtr(ptr, offset);
  llvm::Value* word = b_.CreateAlignedLoad(type, p, llvm::Align(1));
  std::map<uint64_t, std::vector<std::pair<std::string, llvm::BasicBlock*>>> groups;
  for (auto& k : keys) {
    groups[littleEndianWord(k.first, offset, w)].push_back(std::move(k));
  }
  llvm::SwitchInst* sw = b_.CreateSwitch(word, miss, static_cast<unsigned>(groups.size()));
  for (auto& [value, group] : groups) {
    llvm::BasicBlock* bb = newBlock("word");
    sw->addCase(llvm::ConstantInt::get(type, value), bb);
    b_.SetInsertPoint(bb);
    fixedSwitch(ptr, offset + w, length, std::move(group), miss);
  }
}

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

void RouteCodegen::addSet(const ir::VirtualHostProgram& vh, uint32_t set, bool path_regex,
                          CandidateList& out) const {
  if (set == ir::kNoSet || set >= vh.sets.size()) {
    return;
  }
  const ir::CandidateSet& s = vh.sets[set];
  for (uint32_t r : s.routes) {
    out.push_back({r, -1, -1, path_regex, false});
  }
  for (size_t k = 0; k < s.cases.size(); ++k) {
    for (uint32_t r : s.cases[k].routes) {
      out.push_back({r, static_cast<int32_t>(set), static_cast<int32_t>(k), path_regex, false});
    }
  }
  std::sort(out.begin(), out.end());
}

CandidateList RouteCodegen::merged(const CandidateList& a, const CandidateList& b) {
  CandidateList out;
  out.reserve(a.size() + b.size());
  std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

llvm::Function* RouteCodegen::switchFunction(HostState& hs, uint32_t set) {
  auto it = hs.switch_fns.find(set);
  if (it != hs.switch_fns.end()) {
    return it->second;
  }
  const ir::CandidateSet& s = hs.vh->sets[set];
  llvm::Function* fn = defineFunction(i32_, {ptr_},
                                      "sw." + std::to_string(hs.config) + "." +
                                          std::to_string(hs.vhost) + "." + std::to_string(set));
  llvm::IRBuilderBase::InsertPointGuard guard(b_);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn));
  llvm::AllocaInst* out = b_.CreateAlloca(str_);
  llvm::Value* present =
      b_.CreateCall(h_header_, {fn->getArg(0), constString(s.switch_header),
                                llvm::ConstantInt::get(i64_, s.switch_header.size()), out});
  llvm::BasicBlock* has = newBlock("has");
  llvm::BasicBlock* none = newBlock("none");
  b_.CreateCondBr(b_.CreateICmpNE(present, llvm::ConstantInt::get(i32_, 0)), has, none);
  b_.SetInsertPoint(none);
  b_.CreateRet(llvm::ConstantInt::get(i32_, -1));
  b_.SetInsertPoint(has);
  llvm::Value* data = b_.CreateLoad(ptr_, b_.CreateStructGEP(str_, out, 0));
  llvm::Value* size = b_.CreateLoad(i64_, b_.CreateStructGEP(str_, out, 1));
  std::vector<std::pair<std::string, llvm::BasicBlock*>> keys;
  for (size_t k = 0; k < s.cases.size(); ++k) {
    llvm::BasicBlock* bb = llvm::BasicBlock::Create(ctx_, "case", fn);
    llvm::IRBuilder<> rb(bb);
    rb.CreateRet(llvm::ConstantInt::get(i32_, k));
    keys.emplace_back(s.cases[k].value, bb);
  }
  stringSwitch(data, size, keys, none);
  hs.switch_fns.emplace(set, fn);
  return fn;
}

// Candidates after one that needs nothing but its path (no guard, regex or residual predicate)
// can never be reached.
void RouteCodegen::dropUnreachable(const HostState& hs, CandidateList& list) const {
  for (size_t i = 0; i < list.size(); ++i) {
    const Candidate& c = list[i];
    if (c.switch_set < 0 && !c.path_regex && !c.regex_list &&
        !hasResiduals(hs.vh->routes[c.route])) {
      list.resize(i + 1);
      return;
    }
  }
}

llvm::BasicBlock* RouteCodegen::terminal(HostState& hs, const CandidateList& trie_list) {
  CandidateList list = merged(trie_list, hs.regex_list);
  dropUnreachable(hs, list);
  auto it = hs.terminals.find(list);
  if (it != hs.terminals.end()) {
    return it->second;
  }
  llvm::IRBuilderBase::InsertPointGuard guard(b_);
  llvm::BasicBlock* entry = llvm::BasicBlock::Create(ctx_, "exit", hs.fn);
  hs.terminals.emplace(list, entry);
  b_.SetInsertPoint(entry);
  if (hs.two_walks) {
    // Candidates from the case-insensitive walk too: merge both arrays in route order.
    llvm::BasicBlock* merge = newBlock("merge");
    llvm::BasicBlock* alone = newBlock("alone");
    b_.CreateCondBr(b_.CreateICmpNE(hs.other_count, llvm::ConstantInt::get(i64_, 0)), merge, alone);
    b_.SetInsertPoint(merge);
    llvm::Value* mine = list.empty()
                            ? static_cast<llvm::Value*>(llvm::ConstantPointerNull::get(ptr_))
                            : candidateArray(hs, list);
    b_.CreateRet(b_.CreateCall(h_merge2_, {hs.req, mine, llvm::ConstantInt::get(i64_, list.size()),
                                           hs.other_ptr, hs.other_count, hs.try_fn}));
    b_.SetInsertPoint(alone);
  }
  // The header switch of every switched set on this exit, evaluated once.
  std::map<int32_t, llvm::Value*> case_of;
  for (const Candidate& c : list) {
    if (c.switch_set >= 0 && case_of.count(c.switch_set) == 0) {
      case_of[c.switch_set] =
          b_.CreateCall(switchFunction(hs, static_cast<uint32_t>(c.switch_set)), {hs.req});
    }
  }
  for (const Candidate& c : list) {
    if (c.switch_set < 0 && !c.path_regex && !c.regex_list &&
        !hasResiduals(hs.vh->routes[c.route])) {
      // Needs nothing but its path: it wins here (and dropUnreachable made it the last).
      b_.CreateRet(llvm::ConstantInt::get(i32_, c.route));
      return entry;
    }
    llvm::BasicBlock* next = newBlock("next");
    llvm::BasicBlock* win = newBlock("win");
    emitCandidateChecks(hs, c, case_of, win, next);
    b_.SetInsertPoint(win);
    b_.CreateRet(llvm::ConstantInt::get(i32_, c.route));
    b_.SetInsertPoint(next);
  }
  b_.CreateRet(llvm::ConstantInt::get(i32_, -1));
  return entry;
}

RouteCodegen::NodeLists RouteCodegen::nodeLists(const HostState& hs, const ir::TrieNode& n,
                                                size_t pos, const CandidateList& inherited) const {
  NodeLists out;
  CandidateList own;
  addSet(*hs.vh, n.prefix_set, false, own);
  addSet(*hs.vh, n.regex_set, true, own);
  std::sort(own.begin(), own.end());
  out.base = merged(inherited, own);
  CandidateList seg;
  addSet(*hs.vh, n.segment_set, false, seg);
  // The key so far ends with '/' exactly when this node's label does (or it is the root).
  bool static_boundary = pos == 0 || (!n.label.empty() && n.label.back() == '/');
  if (!seg.empty() && static_boundary) {
    out.base = merged(out.base, seg);
    seg.clear();
  }
  out.segment_dynamic = !seg.empty();
  out.with_seg = seg.empty() ? out.base : merged(out.base, seg);
  CandidateList exact;
  addSet(*hs.vh, n.exact_set, false, exact);
  out.exact = merged(out.with_seg, exact);
  return out;
}

llvm::BasicBlock* RouteCodegen::exitFor(HostState& hs, const Walk& w, const CandidateList& list) {
  if (!w.collects) {
    return terminal(hs, list);
  }
  CandidateList kept = list;
  dropUnreachable(hs, kept);
  auto it = hs.collected.find(kept);
  if (it != hs.collected.end()) {
    return it->second;
  }
  llvm::IRBuilderBase::InsertPointGuard guard(b_);
  llvm::BasicBlock* exit = llvm::BasicBlock::Create(ctx_, "collected", hs.fn);
  hs.collected.emplace(kept, exit);
  b_.SetInsertPoint(exit);
  auto* phi_ptr = llvm::cast<llvm::PHINode>(hs.other_ptr);
  auto* phi_count = llvm::cast<llvm::PHINode>(hs.other_count);
  phi_ptr->addIncoming(
      kept.empty() ? llvm::ConstantPointerNull::get(ptr_) : candidateArray(hs, kept), exit);
  phi_count->addIncoming(llvm::ConstantInt::get(i64_, kept.size()), exit);
  b_.CreateBr(hs.second_start);
  return exit;
}

llvm::Constant* RouteCodegen::candidateArray(HostState& hs, const CandidateList& list) {
  std::vector<uint64_t> items;
  for (const Candidate& c : list) {
    auto [it, fresh] = hs.candidate_ids.emplace(c, static_cast<uint32_t>(hs.candidate_ids.size()));
    items.push_back((uint64_t{c.route} << 32) | it->second);
  }
  auto* data = llvm::ConstantDataArray::get(ctx_, items);
  auto* gv = new llvm::GlobalVariable(m_, data->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                      data, ".cands");
  gv->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  gv->setAlignment(llvm::Align(8));
  return gv;
}

void RouteCodegen::emitCandidateChecks(HostState& hs, const Candidate& c,
                                       const std::map<int32_t, llvm::Value*>& case_of,
                                       llvm::BasicBlock* pass, llvm::BasicBlock* fail) {
  const ir::RouteEntry& route = hs.vh->routes[c.route];
  auto test = [&](llvm::Value* cond) {
    llvm::BasicBlock* ok = newBlock("ok");
    b_.CreateCondBr(cond, ok, fail);
    b_.SetInsertPoint(ok);
  };
  if (c.switch_set >= 0) {
    auto it = case_of.find(c.switch_set);
    llvm::Value* picked =
        it != case_of.end()
            ? it->second
            : b_.CreateCall(switchFunction(hs, static_cast<uint32_t>(c.switch_set)), {hs.req});
    test(b_.CreateICmpEQ(picked, llvm::ConstantInt::get(i32_, c.switch_case)));
  }
  if (c.path_regex || (c.regex_list && simpleRegexFunction(route.path_regex) != nullptr)) {
    test(regexMatches(hs.req, route.path_regex, loadField(hs.req, kPathOffset, ptr_),
                      loadField(hs.req, kPathOffset + 8, i64_)));
  } else if (c.regex_list) {
    // The virtual host's RE2::Set answers for all its unprefixed regex routes in one pass.
    llvm::Value* r = b_.CreateCall(h_regex_route_, {hs.req, llvm::ConstantInt::get(i32_, hs.vhost),
                                                    llvm::ConstantInt::get(i32_, c.route)});
    test(b_.CreateICmpNE(r, llvm::ConstantInt::get(i32_, 0)));
  }
  if (hasResiduals(route)) {
    llvm::Function*& residual = hs.residual_fns[c.route];
    if (residual == nullptr) {
      residual = residualFunction(route, hs.config, hs.vhost, c.route);
    }
    test(b_.CreateCall(residual, {hs.req}));
  }
  b_.CreateBr(pass);
}

void RouteCodegen::emitTryFunction(HostState& hs) {
  llvm::IRBuilderBase::InsertPointGuard guard(b_);
  llvm::Function* fn = hs.try_fn;
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn));
  llvm::BasicBlock* no = llvm::BasicBlock::Create(ctx_, "no", fn);
  llvm::BasicBlock* yes = llvm::BasicBlock::Create(ctx_, "yes", fn);
  llvm::IRBuilder<>(no).CreateRet(llvm::ConstantInt::get(i32_, 0));
  llvm::IRBuilder<>(yes).CreateRet(llvm::ConstantInt::get(i32_, 1));
  llvm::SwitchInst* sw =
      b_.CreateSwitch(fn->getArg(1), no, static_cast<unsigned>(hs.candidate_ids.size()));
  llvm::Value* saved_req = hs.req;
  hs.req = fn->getArg(0);
  for (const auto& [c, id] : hs.candidate_ids) {
    llvm::BasicBlock* bb = llvm::BasicBlock::Create(ctx_, "cand", fn);
    sw->addCase(llvm::ConstantInt::get(i32_, id), bb);
    b_.SetInsertPoint(bb);
    emitCandidateChecks(hs, c, {}, yes, no);
  }
  hs.req = saved_req;
}

void RouteCodegen::emitNode(HostState& hs, const Walk& w, uint32_t node, size_t pos,
                            const CandidateList& inherited) {
  const ir::TrieNode& n = w.trie->nodes[node];
  NodeLists lists = nodeLists(hs, n, pos, inherited);
  const CandidateList& base = lists.base;
  const CandidateList& with_seg = lists.with_seg;
  const CandidateList& exact = lists.exact;
  const bool segment_dynamic = lists.segment_dynamic;

  llvm::BasicBlock* cont = newBlock("more");
  b_.CreateCondBr(b_.CreateICmpEQ(w.path_len, llvm::ConstantInt::get(i64_, pos)),
                  exitFor(hs, w, exact), cont);
  b_.SetInsertPoint(cont);
  llvm::Value* byte = b_.CreateLoad(i8_, offsetPtr(w.path_ptr, pos));
  // No child for the next byte: the segment set applies when that byte is '/'.
  llvm::BasicBlock* no_child;
  if (!segment_dynamic) {
    no_child = exitFor(hs, w, base);
  } else {
    no_child = newBlock("nochild");
    llvm::IRBuilderBase::InsertPointGuard guard(b_);
    b_.SetInsertPoint(no_child);
    b_.CreateCondBr(b_.CreateICmpEQ(byte, llvm::ConstantInt::get(i8_, '/')),
                    exitFor(hs, w, with_seg), exitFor(hs, w, base));
  }
  if (n.children.empty()) {
    b_.CreateBr(no_child);
    return;
  }
  llvm::SwitchInst* sw = b_.CreateSwitch(byte, no_child, static_cast<unsigned>(n.children.size()));
  for (size_t i = 0; i < n.children.size(); ++i) {
    uint32_t child = n.children[i];
    const std::string& label = w.trie->nodes[child].label;
    char first = n.child_bytes[i];
    const CandidateList& inherited_child = first == '/' ? with_seg : base;
    llvm::BasicBlock* bb = newBlock("child");
    sw->addCase(llvm::ConstantInt::get(i8_, static_cast<uint8_t>(first)), bb);
    b_.SetInsertPoint(bb);
    if (label.size() > 1) {
      // The path leaves the trie inside this label: only the node's own lists hold.
      llvm::BasicBlock* mismatch = exitFor(hs, w, inherited_child);
      llvm::BasicBlock* long_enough = newBlock("fits");
      b_.CreateCondBr(
          b_.CreateICmpUGE(w.path_len, llvm::ConstantInt::get(i64_, pos + label.size())),
          long_enough, mismatch);
      b_.SetInsertPoint(long_enough);
      llvm::Value* rest = offsetPtr(w.path_ptr, pos + 1);
      llvm::BasicBlock* into = newBlock("node");
      b_.CreateCondBr(equalsConst(rest, std::string_view(label).substr(1)), into, mismatch);
      b_.SetInsertPoint(into);
    }
    if (!w.collects && child < hs.subtree_nodes.size() &&
        hs.subtree_nodes[child] >= options_.split_subtree_nodes) {
      emitSubtreeCall(hs, w, child, pos + label.size(), inherited_child);
    } else {
      emitNode(hs, w, child, pos + label.size(), inherited_child);
    }
  }
}

void RouteCodegen::emitSubtreeCall(HostState& hs, const Walk& w, uint32_t node, size_t pos,
                                   const CandidateList& inherited) {
  llvm::Function* fn = defineFunction(i32_, {ptr_, ptr_, i64_},
                                      "vh." + std::to_string(hs.config) + "." +
                                          std::to_string(hs.vhost) + ".t" + std::to_string(node));
  ++hs.split_functions;
  llvm::Value* other_ptr =
      hs.two_walks ? static_cast<llvm::Value*>(hs.other_ptr) : llvm::ConstantPointerNull::get(ptr_);
  llvm::Value* other_count =
      hs.two_walks ? static_cast<llvm::Value*>(hs.other_count) : llvm::ConstantInt::get(i64_, 0);
  b_.CreateRet(b_.CreateCall(fn, {hs.req, other_ptr, other_count}));
  // Switch the per-function state to the new function, walk, and switch back.
  llvm::IRBuilderBase::InsertPointGuard guard(b_);
  llvm::Function* saved_fn = hs.fn;
  llvm::Value* saved_req = hs.req;
  llvm::Value* saved_ptr = hs.other_ptr;
  llvm::Value* saved_count = hs.other_count;
  std::map<CandidateList, llvm::BasicBlock*> saved_terminals;
  saved_terminals.swap(hs.terminals);
  hs.fn = fn;
  hs.req = fn->getArg(0);
  hs.other_ptr = fn->getArg(1);
  hs.other_count = fn->getArg(2);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn));
  Walk inner = w;
  uint32_t offset = w.path_offset;
  inner.path_ptr = loadField(hs.req, offset, ptr_);
  inner.path_len = loadField(hs.req, offset + 8, i64_);
  emitNode(hs, inner, node, pos, inherited);
  hs.fn = saved_fn;
  hs.req = saved_req;
  hs.other_ptr = saved_ptr;
  hs.other_count = saved_count;
  hs.terminals.swap(saved_terminals);
}

void RouteCodegen::planNode(HostState& hs, const Walk& w, uint32_t node, size_t pos,
                            const CandidateList& inherited, uint64_t budget, bool& over) {
  if (over) {
    return;
  }
  auto count = [&](const CandidateList& l) {
    CandidateList final_list = w.collects ? l : merged(l, hs.regex_list);
    dropUnreachable(hs, final_list);
    if (hs.planned.insert(final_list).second) {
      hs.budget_used += final_list.size() + 1;
      over = over || hs.budget_used > budget;
    }
  };
  const ir::TrieNode& n = w.trie->nodes[node];
  NodeLists lists = nodeLists(hs, n, pos, inherited);
  count(lists.exact);
  count(lists.base);
  count(lists.with_seg);
  const CandidateList& base = lists.base;
  const CandidateList& with_seg = lists.with_seg;
  for (size_t i = 0; i < n.children.size() && !over; ++i) {
    uint32_t child = n.children[i];
    if (child >= w.trie->nodes.size()) {
      continue;
    }
    planNode(hs, w, child, pos + w.trie->nodes[child].label.size(),
             n.child_bytes[i] == '/' ? with_seg : base, budget, over);
  }
}

bool RouteCodegen::fitsBudget(HostState& hs, const Walk& first, const Walk* second,
                              uint64_t budget) {
  bool over = false;
  if (!first.trie->nodes.empty()) {
    planNode(hs, first, 0, 0, {}, budget, over);
  }
  if (second != nullptr && !second->trie->nodes.empty()) {
    hs.planned.clear();
    planNode(hs, *second, 0, 0, {}, budget, over);
  }
  hs.planned.clear();
  return !over;
}

llvm::Function* RouteCodegen::emitFallbackHost(uint32_t config, uint32_t vhost) {
  llvm::Function* fn =
      defineFunction(i32_, {ptr_}, "vh." + std::to_string(config) + "." + std::to_string(vhost));
  llvm::IRBuilder<> rb(llvm::BasicBlock::Create(ctx_, "entry", fn));
  rb.CreateRet(
      rb.CreateCall(h_select_route_, {fn->getArg(0), llvm::ConstantInt::get(i32_, vhost)}));
  ++stats_.fallback_virtual_hosts;
  return fn;
}

llvm::Function* RouteCodegen::emitVirtualHost(const ir::RouteProgram& program, uint32_t config,
                                              uint32_t vhost) {
  HostState hs;
  hs.program = &program;
  hs.vh = &program.virtual_hosts[vhost];
  hs.config = config;
  hs.vhost = vhost;
  bool cs = trieUsed(hs.vh->case_sensitive);
  bool ci = trieUsed(hs.vh->case_insensitive);
  // The case-sensitive walk reads the path, the case-insensitive one the lower-cased path;
  // with both in use the second continues every exit of the first.
  Walk first, second;
  first.trie = ci && !cs ? &hs.vh->case_insensitive : &hs.vh->case_sensitive;
  second.trie = &hs.vh->case_insensitive;
  second.collects = true;
  hs.two_walks = cs && ci;
  for (uint32_t r : hs.vh->regex_routes) {
    hs.regex_list.push_back({r, -1, -1, false, true});
  }
  uint64_t budget =
      std::max<uint64_t>(options_.min_candidate_budget,
                         uint64_t{options_.candidate_budget_per_route} * hs.vh->routes.size());
  if (!fitsBudget(hs, first, hs.two_walks ? &second : nullptr, budget)) {
    return emitFallbackHost(config, vhost);
  }
  hs.fn =
      defineFunction(i32_, {ptr_}, "vh." + std::to_string(config) + "." + std::to_string(vhost));
  ++stats_.native_virtual_hosts;
  llvm::IRBuilderBase::InsertPointGuard guard(b_);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", hs.fn));
  hs.req = hs.fn->getArg(0);
  uint32_t offset = first.trie == &hs.vh->case_insensitive ? kLowerPathOffset : kPathOffset;
  first.path_offset = offset;
  first.path_ptr = loadField(hs.req, offset, ptr_);
  first.path_len = loadField(hs.req, offset + 8, i64_);
  // Subtree sizes of the first walk's trie, for splitting it into functions.
  hs.subtree_nodes.assign(first.trie->nodes.size(), 1);
  {
    std::vector<std::pair<uint32_t, bool>> stack;
    if (!first.trie->nodes.empty()) {
      stack.emplace_back(0, false);
    }
    while (!stack.empty()) {
      auto [n, done] = stack.back();
      stack.pop_back();
      const ir::TrieNode& node = first.trie->nodes[n];
      if (done) {
        for (uint32_t c : node.children) {
          hs.subtree_nodes[n] += hs.subtree_nodes[c];
        }
        continue;
      }
      stack.emplace_back(n, true);
      for (uint32_t c : node.children) {
        stack.emplace_back(c, false);
      }
    }
  }
  llvm::PHINode* phi_ptr = nullptr;
  llvm::PHINode* phi_count = nullptr;
  if (hs.two_walks) {
    second.path_offset = kLowerPathOffset;
    second.path_ptr = loadField(hs.req, kLowerPathOffset, ptr_);
    second.path_len = loadField(hs.req, kLowerPathOffset + 8, i64_);
    hs.try_fn = defineFunction(i32_, {ptr_, i32_},
                               "try." + std::to_string(config) + "." + std::to_string(vhost));
    // The collecting walk runs first; its exits meet at second_start with their arrays.
    hs.second_start = llvm::BasicBlock::Create(ctx_, "cswalk", hs.fn);
    {
      llvm::IRBuilderBase::InsertPointGuard guard(b_);
      b_.SetInsertPoint(hs.second_start);
      phi_ptr = b_.CreatePHI(ptr_, 4);
      phi_count = b_.CreatePHI(i64_, 4);
      hs.other_ptr = phi_ptr;
      hs.other_count = phi_count;
    }
    emitNode(hs, second, 0, 0, {});
    b_.SetInsertPoint(hs.second_start);
  }
  if (first.trie->nodes.empty()) {
    b_.CreateBr(exitFor(hs, first, {}));
  } else {
    emitNode(hs, first, 0, 0, {});
  }
  if (hs.two_walks) {
    emitTryFunction(hs);
  }
  return hs.fn;
}

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
