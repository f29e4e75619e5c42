// The path trie of a virtual host as LLVM control flow: a switch on the next path byte per
// node, split into functions and bounded by the candidate budget. Entry point:
// RouteCodegen::emitVirtualHost().
#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>

#include <algorithm>

#include "codegen/route_codegen.h"
#include "codegen/route_codegen_internal.h"

namespace meshc::codegen::detail {

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

}  // namespace meshc::codegen::detail
