// Word-at-a-time string compares and switches over constant keys (host names, trie edge
// labels, header values). Entry points: RouteCodegen::stringSwitch(), equalsConst().
#include <llvm/IR/Constants.h>

#include <map>

#include "codegen/route_codegen.h"
#include "codegen/route_codegen_internal.h"

namespace meshc::codegen::detail {

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

}  // namespace meshc::codegen::detail
