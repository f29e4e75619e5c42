// Lowering of the routing IR to LLVM IR (internal to compiler/codegen; see codegen.h).
// Entry point: RouteCodegen::emitRouteConfig().
#pragma once

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "codegen/codegen.h"
#include "routing/route_tree.h"

// The design: host selection is a switch on the host's length and then on 8/4/2/1-byte words of
// it (one compare chain per distinct word, never a byte loop; host_switch.cc, word_switch.cc);
// the path trie is a switch on the next path byte per node with the rest of each edge label
// compared a word at a time (trie_codegen.cc); every way out of the trie ends in a block that
// tries the candidates valid there in route order (statically merged from the sets of the nodes
// on the way; candidate_codegen.cc), each with its residual predicates inline or in a per-route
// function (residual_codegen.cc, string_test_codegen.cc).
namespace meshc::codegen::detail {

/// One candidate of a trie exit, in route order, with what must hold before its residual
/// predicates run.
struct Candidate {
  uint32_t route = 0;
  int32_t switch_set = -1;  // candidate only when that set's switch picked switch_case
  int32_t switch_case = -1;
  bool path_regex = false;  // filed under its literal prefix: the regex still has to match
  bool regex_list = false;  // from the virtual host's regex list (RE2::Set, once per request)
  friend auto operator<=>(const Candidate&, const Candidate&) = default;
};
using CandidateList = std::vector<Candidate>;

class RouteCodegen {
 public:
  RouteCodegen(llvm::Module& module, const CodegenOptions& options, CodegenStats& stats);

  /// Emits the external entry point `symbol` for program `index`:
  /// i64 symbol(const MeshcRequest*), see runtime/native/native_abi.h.
  void emitRouteConfig(const ir::RouteProgram& program, uint32_t index, const std::string& symbol);

 private:
  // One walk over a path trie. With both tries in use (case-sensitive and ignoreUriCase
  // routes), the case-insensitive walk runs first and only collects its exit's candidates (a
  // constant array); exits of the case-sensitive walk run their static code when that array is
  // empty and otherwise merge both arrays in route order (meshc_rt_merge2 calling back into a
  // generated per-candidate check), so code size stays linear in the two tries.
  struct Walk {
    const ir::PathTrie* trie = nullptr;
    llvm::Value* path_ptr = nullptr;
    llvm::Value* path_len = nullptr;
    uint32_t path_offset = 16;  // MeshcRequest field: path (16) or lower_path (32)
    bool collects = false;
  };

  // Per virtual host state while emitting its function.
  struct HostState {
    const ir::RouteProgram* program = nullptr;
    const ir::VirtualHostProgram* vh = nullptr;
    uint32_t config = 0, vhost = 0;
    llvm::Function* fn = nullptr;
    llvm::Value* req = nullptr;
    CandidateList regex_list;
    std::map<CandidateList, llvm::BasicBlock*> terminals;  // in the current function
    std::vector<uint32_t> subtree_nodes;                   // per node of the first walk's trie
    uint32_t split_functions = 0;
    std::map<CandidateList, llvm::BasicBlock*> collected;  // exits of the collecting walk
    std::set<CandidateList> planned;
    // Both tries: the collecting walk's result, the check function and the candidate ids.
    bool two_walks = false;
    llvm::BasicBlock* second_start = nullptr;
    llvm::Value* other_ptr = nullptr;  // a phi, or a parameter in split functions
    llvm::Value* other_count = nullptr;
    llvm::Function* try_fn = nullptr;
    std::map<Candidate, uint32_t> candidate_ids;
    std::map<uint32_t, llvm::Function*> switch_fns;
    std::map<uint32_t, llvm::Function*> residual_fns;  // by route index
    uint64_t budget_used = 0;
  };

  llvm::Function* emitVirtualHost(const ir::RouteProgram& program, uint32_t config, uint32_t vhost);
  llvm::Function* emitFallbackHost(uint32_t config, uint32_t vhost);
  bool fitsBudget(HostState& hs, const Walk& first, const Walk* second, uint64_t budget);
  /// A constant array of (route << 32 | candidate id) for `list` (two-walk hosts).
  llvm::Constant* candidateArray(HostState& hs, const CandidateList& list);
  /// Emits the body of hs.try_fn: i32 (req, candidate id) → 1 when the candidate passes.
  void emitTryFunction(HostState& hs);
  /// Code that checks `c` and branches to `pass` or `fail` (guards, regex, residuals).
  void emitCandidateChecks(HostState& hs, const Candidate& c,
                           const std::map<int32_t, llvm::Value*>& case_of, llvm::BasicBlock* pass,
                           llvm::BasicBlock* fail);
  void planNode(HostState& hs, const Walk& w, uint32_t node, size_t pos,
                const CandidateList& inherited, uint64_t budget, bool& over);
  void emitNode(HostState& hs, const Walk& w, uint32_t node, size_t pos,
                const CandidateList& inherited);
  /// Emits the walk below `node` as a function of its own and returns its result from here.
  void emitSubtreeCall(HostState& hs, const Walk& w, uint32_t node, size_t pos,
                       const CandidateList& inherited);
  /// Where a walk leaves its trie with `list`: the next walk, or the final exit.
  llvm::BasicBlock* exitFor(HostState& hs, const Walk& w, const CandidateList& list);
  llvm::BasicBlock* terminal(HostState& hs, const CandidateList& list);
  llvm::Function* switchFunction(HostState& hs, uint32_t set);
  llvm::Function* residualFunction(const ir::RouteEntry& route, uint32_t config, uint32_t vhost,
                                   uint32_t index);

  // The candidate lists of a node at key length `pos`, mirroring walkTrie (runtime/ir/
  // interpreter.cc): `base` holds whatever follows, `with_seg` adds the segment set when the path
  // is on a segment boundary there, `exact` what holds when the path ends at the node.
  struct NodeLists {
    CandidateList base, with_seg, exact;
    bool segment_dynamic = false;  // the boundary depends on the next path byte
  };
  NodeLists nodeLists(const HostState& hs, const ir::TrieNode& n, size_t pos,
                      const CandidateList& inherited) const;
  // Candidate lists of a trie node (see emitNode).
  void addSet(const ir::VirtualHostProgram& vh, uint32_t set, bool path_regex,
              CandidateList& out) const;
  static CandidateList merged(const CandidateList& a, const CandidateList& b);
  void dropUnreachable(const HostState& hs, CandidateList& list) const;

  // Building blocks.
  llvm::Constant* constString(std::string_view s);
  llvm::Value* loadField(llvm::Value* req, uint32_t offset, llvm::Type* type);
  llvm::Value* offsetPtr(llvm::Value* ptr, uint64_t offset);
  /// i1: the `s.size()` bytes at ptr equal s (caller guarantees they are readable).
  llvm::Value* equalsConst(llvm::Value* ptr, std::string_view s);
  /// Branches on (ptr, len) to the target of the equal key, else to miss.
  void stringSwitch(llvm::Value* ptr, llvm::Value* len,
                    const std::vector<std::pair<std::string, llvm::BasicBlock*>>& keys,
                    llvm::BasicBlock* miss);
  void fixedSwitch(llvm::Value* ptr, size_t offset, size_t length,
                   std::vector<std::pair<std::string, llvm::BasicBlock*>> keys,
                   llvm::BasicBlock* miss);
  /// i1: Envoy StringMatcher on (ptr, size).
  llvm::Value* stringTest(const ir::StringTest& t, llvm::Value* req, llvm::Value* ptr,
                          llvm::Value* size);
  llvm::BasicBlock* newBlock(const char* name);
  /// A generated function: nounwind, internal unless exported, counted in the stats.
  llvm::Function* defineFunction(llvm::Type* ret, std::vector<llvm::Type*> args,
                                 const std::string& name, bool exported = false);
  /// i32 (ptr, i64): full match of program regex `index` in native code when the pattern is in
  /// the simple subset (simple_regex.h) and RE2 accepted it: 0 no, 1 yes, 2 undecided (a
  /// non-ASCII byte reached a class that takes code points); null when not simple.
  llvm::Function* simpleRegexFunction(int32_t index);
  /// i1: whether regex `index` fully matches (ptr, size): native when simple, else RE2.
  llvm::Value* regexMatches(llvm::Value* req, int32_t index, llvm::Value* ptr, llvm::Value* size);
  llvm::Function* declareHelper(const char* name, llvm::Type* ret, std::vector<llvm::Type*> args);

  llvm::Module& m_;
  llvm::LLVMContext& ctx_;
  const CodegenOptions& options_;
  CodegenStats& stats_;
  llvm::IRBuilder<> b_;
  llvm::Type* i1_;
  llvm::IntegerType* i8_;
  llvm::IntegerType* i32_;
  llvm::IntegerType* i64_;
  llvm::PointerType* ptr_;
  llvm::StructType* str_;  // MeshcStr
  llvm::Function* h_header_;
  llvm::Function* h_query_;
  llvm::Function* h_claim_;
  llvm::Function* h_string_match_;
  llvm::Function* h_regex_;
  llvm::Function* h_regex_route_;
  llvm::Function* h_select_route_;
  llvm::Function* h_eq_ignore_case_;
  llvm::Function* h_merge2_;
  std::map<std::string, llvm::Constant*, std::less<>> strings_;
  const ir::RouteProgram* program_ = nullptr;              // the route configuration being emitted
  std::map<std::string, llvm::Function*> simple_regexes_;  // by pattern; null = not simple
};

}  // namespace meshc::codegen::detail
