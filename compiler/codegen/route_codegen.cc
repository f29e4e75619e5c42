// RouteCodegen's building blocks: the constructor (runtime helper declarations), function
// definition, interned string constants and request field loads. Entry point: the constructor.
#include "codegen/route_codegen.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>

namespace meshc::codegen::detail {

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

}  // namespace meshc::codegen::detail
