// Candidate lists of trie exits: merging node sets in route order, dropping unreachable
// candidates, and the exit blocks that try them. Entry points: RouteCodegen::nodeLists(),
// terminal(), exitFor().
#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>

#include <algorithm>

#include "codegen/route_codegen.h"
#include "codegen/route_codegen_internal.h"

namespace meshc::codegen::detail {

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

}  // namespace meshc::codegen::detail
