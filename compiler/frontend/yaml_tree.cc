// Builds the positioned YAML tree from yaml-cpp parser events (cheaper than YAML::Node).
// yaml-cpp throws: its exceptions are caught here, and only here, and become diagnostics.
#include "frontend/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "base/ascii.h"
namespace meshc::frontend {

const char* nodeKindName(NodeKind kind) {
  switch (kind) {
    case NodeKind::kNull:
      return "null";
    case NodeKind::kBool:
      return "boolean";
    case NodeKind::kInt:
      return "integer";
    case NodeKind::kFloat:
      return "number";
    case NodeKind::kString:
      return "string";
    case NodeKind::kSeq:
      return "array";
    case NodeKind::kMap:
      return "object";
  }
  return "null";
}

const MapEntry* Node::entry(std::string_view key) const {
  if (kind_ != NodeKind::kMap) {
    return nullptr;
  }
  for (uint32_t i = 0; i < size_; ++i) {
    if (entries_[i].key == key) {
      return &entries_[i];
    }
  }
  return nullptr;
}

const Node* Node::get(std::string_view key) const {
  const MapEntry* e = entry(key);
  return e ? e->value : nullptr;
}

std::string_view Node::str(std::string_view key) const {
  const Node* n = get(key);
  return n && n->isString() ? n->text() : std::string_view();
}

namespace {

// Thrown from inside the event handler to stop parsing a file at a limit or a fatal problem.
struct StopParse {
  SourceLoc loc;
  std::string id;
  std::string message;
};

bool isAllDigits(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!pred(c)) {
      return false;
    }
  }
  return true;
}

bool isDec(char c) { return c >= '0' && c <= '9'; }
bool isOct(char c) { return c >= '0' && c <= '7'; }
bool isHex(char c) {
  return isDec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// YAML 1.2 core schema float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool isCoreFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    ++i;
  }
  size_t int_digits = 0;
  while (i < s.size() && isDec(s[i])) {
    ++i;
    ++int_digits;
  }
  size_t frac_digits = 0;
  bool dot = false;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    ++i;
    while (i < s.size() && isDec(s[i])) {
      ++i;
      ++frac_digits;
    }
  }
  if (int_digits == 0 && frac_digits == 0) {
    return false;
  }
  if (int_digits == 0 && !dot) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      ++i;
    }
    if (i >= s.size() || !isDec(s[i])) {
      return false;
    }
    while (i < s.size() && isDec(s[i])) {
      ++i;
    }
  }
  return i == s.size();
}


}  // namespace

class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(uint32_t file, YamlArena& arena, DiagnosticSink& sink, const ParseLimits& limits)
      : file_(file), mem_(arena.resource()), sink_(sink), limits_(limits) {}

  std::vector<YamlDocument> documents;

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp 0.7 loops forever on some malformed input (",", "!,!@"): it keeps reporting empty
    // documents at the same offset. A document that starts where the previous one started means
    // no progress, so stop there with a syntax error instead of hanging.
    if (mark.pos == last_doc_pos_) {
      throw StopParse{locOf(mark), "yaml-syntax",
                      "invalid YAML: unexpected character here (the document cannot be parsed)"};
    }
    last_doc_pos_ = mark.pos;
    frames_.clear();
    anchors_.clear();
    root_ = nullptr;
    root_weight_ = 0;
    doc_start_ = locOf(mark);
  }

  void OnDocumentEnd() override {
    YamlDocument doc;
    doc.root = root_ ? root_ : makeNull(doc_start_);
    doc.start = root_ ? root_->loc() : doc_start_;
    doc.index = static_cast<uint32_t>(documents.size());
    documents.push_back(doc);
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node* n = makeNull(locOf(mark));
    finish(n, anchor, 1);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      throw StopParse{locOf(mark), "yaml-syntax",
                      "alias refers to an anchor that is not defined before it (or to itself)"};
    }
    finish(it->second.node, 0, it->second.weight);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node* n = alloc();
    n->loc_ = locOf(mark);
    n->text_ = copyString(value);
    bool plain = tag == "?";
    n->quoted_ = !plain;
    n->kind_ = NodeKind::kString;
    if (plain) {
      typePlain(*n, value);
    } else if (tag != "!" && !tag.empty()) {
      typeTagged(*n, tag, value, mark);
    }
    finish(n, anchor, 1);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    push(NodeKind::kSeq, mark, anchor);
    frames_.back().flow = style == YAML::EmitterStyle::Flow;
  }

  void OnSequenceEnd() override {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    auto* items = static_cast<const Node**>(
        mem_->allocate(sizeof(Node*) * std::max<size_t>(1, f.children.size()), alignof(Node*)));
    for (size_t i = 0; i < f.children.size(); ++i) {
      items[i] = f.children[i];
    }
    f.node->items_ = items;
    f.node->size_ = static_cast<uint32_t>(f.children.size());
    finish(f.node, f.anchor, f.weight);
  }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    push(NodeKind::kMap, mark, anchor);
    frames_.back().flow = style == YAML::EmitterStyle::Flow;
  }

  /// Where the innermost flow collection of `kind` still open when parsing stopped begins (its
  /// '[' or '{'); nullopt when there is none.
  std::optional<SourceLoc> openFlow(NodeKind kind) const {
    for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
      if (it->flow && it->node->kind() == kind) {
        return it->node->loc();
      }
    }
    return std::nullopt;
  }

  void OnMapEnd() override {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    buildMap(f);
    finish(f.node, f.anchor, f.weight);
  }

 private:
  struct Frame {
    Node* node;
    YAML::anchor_t anchor;
    uint64_t weight = 1;
    std::vector<const Node*> children;  // for maps: key, value, key, value, ...
    bool flow = false;                  // written [a, b] or {a: b}
  };
  struct Anchored {
    const Node* node;
    uint64_t weight;
  };

  static constexpr uint64_t kMaxExpandedNodes = 20'000'000;

  SourceLoc locOf(const YAML::Mark& m) const {
    SourceLoc loc;
    loc.file = file_;
    loc.line = m.line >= 0 ? static_cast<uint32_t>(m.line) + 1 : 1;
    loc.column = m.column >= 0 ? static_cast<uint32_t>(m.column) + 1 : 1;
    return loc;
  }

  Node* alloc() {
    void* p = mem_->allocate(sizeof(Node), alignof(Node));
    return new (p) Node();
  }

  Node* makeNull(SourceLoc loc) {
    Node* n = alloc();
    n->kind_ = NodeKind::kNull;
    n->loc_ = loc;
    return n;
  }

  std::string_view copyString(const std::string& s) {
    if (s.empty()) {
      return {};
    }
    char* p = static_cast<char*>(mem_->allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return std::string_view(p, s.size());
  }

  void push(NodeKind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (frames_.size() >= limits_.max_depth) {
      throw StopParse{locOf(mark), "yaml-too-deep",
                      "document is nested more than " + std::to_string(limits_.max_depth) +
                          " levels deep"};
    }
    Node* n = alloc();
    n->kind_ = kind;
    n->loc_ = locOf(mark);
    frames_.push_back(Frame{n, anchor, 1, {}, false});
  }

  void finish(const Node* n, YAML::anchor_t anchor, uint64_t weight) {
    if (anchor != 0) {
      anchors_[anchor] = Anchored{n, weight};
    }
    if (frames_.empty()) {
      root_ = n;
      root_weight_ = weight;
      return;
    }
    Frame& parent = frames_.back();
    parent.children.push_back(n);
    parent.weight += weight;
    if (parent.weight > kMaxExpandedNodes) {
      throw StopParse{n->loc(), "yaml-too-large",
                      "document expands to more than " + std::to_string(kMaxExpandedNodes) +
                          " nodes through aliases"};
    }
  }

  static void typePlain(Node& n, const std::string& v) {
    std::string_view s(v);
    if (s == "true" || s == "True" || s == "TRUE") {
      n.kind_ = NodeKind::kBool;
      n.num_.b = true;
      return;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      n.kind_ = NodeKind::kBool;
      n.num_.b = false;
      return;
    }
    if (s == "~" || s == "null" || s == "Null" || s == "NULL" || s.empty()) {
      n.kind_ = NodeKind::kNull;
      return;
    }
    char c = s[0];
    if (!(isDec(c) || c == '-' || c == '+' || c == '.')) {
      return;
    }
    std::string_view digits = s;
    bool neg = false;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
      neg = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (isAllDigits(digits, isDec)) {
      errno = 0;
      char* end = nullptr;
      long long val = std::strtoll(v.c_str(), &end, 10);
      if (errno == 0) {
        n.kind_ = NodeKind::kInt;
        n.num_.i = val;
      } else {
        n.kind_ = NodeKind::kFloat;
        n.num_.d = std::strtod(v.c_str(), nullptr);
      }
      return;
    }
    if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && isAllDigits(s.substr(2), isOct)) {
      n.kind_ = NodeKind::kInt;
      n.num_.i = static_cast<int64_t>(std::strtoull(v.c_str() + 2, nullptr, 8));
      return;
    }
    if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && isAllDigits(s.substr(2), isHex)) {
      n.kind_ = NodeKind::kInt;
      n.num_.i = static_cast<int64_t>(std::strtoull(v.c_str() + 2, nullptr, 16));
      return;
    }
    if (isCoreFloat(s)) {
      n.kind_ = NodeKind::kFloat;
      n.num_.d = std::strtod(v.c_str(), nullptr);
      return;
    }
    if (digits == ".inf" || digits == ".Inf" || digits == ".INF") {
      n.kind_ = NodeKind::kFloat;
      n.num_.d = neg ? -HUGE_VAL : HUGE_VAL;
      return;
    }
    if (s == ".nan" || s == ".NaN" || s == ".NAN") {
      n.kind_ = NodeKind::kFloat;
      n.num_.d = std::nan("");
    }
  }

  void typeTagged(Node& n, const std::string& tag, const std::string& v, const YAML::Mark& mark) {
    // Explicit core tags; anything else stays a string.
    static const std::string kPrefix = "tag:yaml.org,2002:";
    std::string_view t(tag);
    if (t.substr(0, kPrefix.size()) == kPrefix) {
      t.remove_prefix(kPrefix.size());
    } else if (t.substr(0, 2) == "!!") {
      t.remove_prefix(2);
    } else {
      return;
    }
    if (t == "str") {
      return;
    }
    Node probe;
    typePlain(probe, v);
    bool ok = (t == "int" && probe.kind_ == NodeKind::kInt) ||
              (t == "float" && probe.isNumber()) || (t == "bool" && probe.kind_ == NodeKind::kBool) ||
              (t == "null" && probe.kind_ == NodeKind::kNull);
    if (!ok) {
      throw StopParse{locOf(mark), "yaml-syntax",
                      "value '" + v + "' does not fit its tag !!" + std::string(t)};
    }
    n.kind_ = probe.kind_ == NodeKind::kInt && t == "float" ? NodeKind::kFloat : probe.kind_;
    n.num_ = probe.num_;
    if (t == "float" && probe.kind_ == NodeKind::kInt) {
      n.num_.d = static_cast<double>(probe.num_.i);
    }
  }

  void buildMap(Frame& f) {
    std::vector<MapEntry> out;
    out.reserve(f.children.size() / 2);
    std::vector<const Node*> merges;
    for (size_t i = 0; i + 1 < f.children.size(); i += 2) {
      const Node* k = f.children[i];
      const Node* v = f.children[i + 1];
      if (!k->isScalar()) {
        throw StopParse{k->loc(), "yaml-syntax", "mapping keys must be scalars, found a " +
                                                     std::string(nodeKindName(k->kind()))};
      }
      if (k->text() == "<<" && !k->quoted()) {
        merges.push_back(v);
        continue;
      }
      out.push_back(MapEntry{k->text(), k->loc(), v});
      // Nodes are built here and immutable afterwards; an aliased node keeps its first key.
      Node* value = const_cast<Node*>(v);
      if (!value->key_loc_.valid()) {
        value->key_loc_ = k->loc();
        value->key_len_ = static_cast<uint32_t>(k->text().size());
      }
    }
    reportDuplicates(out);
    // YAML merge keys (<<), as kubectl accepts them: explicit keys win, then earlier maps.
    for (const Node* m : merges) {
      std::vector<const Node*> sources;
      if (m->isMap()) {
        sources.push_back(m);
      } else if (m->isSeq()) {
        for (const Node* item : m->items()) {
          sources.push_back(item);
        }
      }
      for (const Node* src : sources) {
        if (!src->isMap()) {
          throw StopParse{src->loc(), "yaml-syntax", "merge key '<<' needs a mapping or a list of mappings"};
        }
        for (const MapEntry& e : src->entries()) {
          bool present = false;
          for (const MapEntry& o : out) {
            if (o.key == e.key) {
              present = true;
              break;
            }
          }
          if (!present) {
            out.push_back(e);
            f.weight += 1;
          }
        }
      }
    }
    auto* entries = static_cast<MapEntry*>(
        mem_->allocate(sizeof(MapEntry) * std::max<size_t>(1, out.size()), alignof(MapEntry)));
    for (size_t i = 0; i < out.size(); ++i) {
      new (&entries[i]) MapEntry(out[i]);
    }
    f.node->entries_ = entries;
    f.node->size_ = static_cast<uint32_t>(out.size());
  }

  void reportDuplicates(std::vector<MapEntry>& entries) {
    auto report = [&](const MapEntry& first, const MapEntry& dup) {
      Diagnostic d;
      d.id = "yaml-duplicate-key";
      d.severity = Severity::kError;
      d.message = "duplicate mapping key '" + std::string(dup.key) + "'";
      d.loc = dup.key_loc;
      d.length = static_cast<uint32_t>(std::max<size_t>(1, dup.key.size()));
      d.notes.push_back(DiagnosticNote{"first defined here", first.key_loc});
      sink_.report(std::move(d));
    };
    std::vector<MapEntry> kept;
    kept.reserve(entries.size());
    if (entries.size() <= 16) {
      for (const MapEntry& e : entries) {
        const MapEntry* first = nullptr;
        for (const MapEntry& k : kept) {
          if (k.key == e.key) {
            first = &k;
            break;
          }
        }
        if (first) {
          report(*first, e);
        } else {
          kept.push_back(e);
        }
      }
    } else {
      std::unordered_map<std::string_view, size_t> seen;
      for (const MapEntry& e : entries) {
        auto [it, inserted] = seen.emplace(e.key, kept.size());
        if (!inserted) {
          report(kept[it->second], e);
        } else {
          kept.push_back(e);
        }
      }
    }
    entries.swap(kept);
  }

  uint32_t file_;
  std::pmr::memory_resource* mem_;
  DiagnosticSink& sink_;
  ParseLimits limits_;
  std::vector<Frame> frames_;
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  const Node* root_ = nullptr;
  uint64_t root_weight_ = 0;
  SourceLoc doc_start_;
  int last_doc_pos_ = -1;
};

namespace {

Diagnostic fileError(SourceLoc loc, std::string id, std::string message) {
  Diagnostic d;
  d.id = std::move(id);
  d.severity = Severity::kError;
  d.message = std::move(message);
  d.loc = loc;
  return d;
}

// Returns the offset of the first byte that is not valid UTF-8, or npos.
size_t firstInvalidUtf8(std::string_view s) {
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) {
      return i;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) {
        return i;
      }
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

SourceLoc locAtOffset(const SourceFile& f, uint32_t file, size_t offset) {
  auto it = std::upper_bound(f.line_starts.begin(), f.line_starts.end(), offset);
  uint32_t line = static_cast<uint32_t>(it - f.line_starts.begin());
  SourceLoc loc;
  loc.file = file;
  loc.line = line;
  loc.column = static_cast<uint32_t>(offset - f.line_starts[line - 1]) + 1;
  return loc;
}

// A memory-backed streambuf so yaml-cpp reads the file without another copy.
class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(std::string_view s) {
    char* b = const_cast<char*>(s.data());
    setg(b, b, b + s.size());
  }
};

}  // namespace

std::vector<YamlDocument> parseYamlFile(const SourceManager& sources, uint32_t file,
                                        YamlArena& arena, DiagnosticSink& sink,
                                        const ParseLimits& limits) {
  const SourceFile& f = sources.file(file);
  SourceLoc start{file, 1, 1};
  if (f.content.size() > limits.max_file_bytes) {
    sink.report(fileError(start, "file-too-large",
                          "file is " + std::to_string(f.content.size()) +
                              " bytes; the limit is " + std::to_string(limits.max_file_bytes)));
    return {};
  }
  if (size_t nul = f.content.find('\0'); nul != std::string::npos) {
    sink.report(fileError(locAtOffset(f, file, nul), "yaml-binary",
                          "file contains a NUL byte; expected YAML or JSON text"));
    return {};
  }
  if (size_t bad = firstInvalidUtf8(f.content); bad != std::string_view::npos) {
    sink.report(fileError(locAtOffset(f, file, bad), "yaml-invalid-utf8",
                          "invalid UTF-8 byte sequence; YAML input must be UTF-8"));
    return {};
  }
  TreeBuilder builder(file, arena, sink, limits);
  ViewBuf buf(f.content);
  std::istream in(&buf);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const StopParse& stop) {
    sink.report(fileError(stop.loc, stop.id, stop.message));
  } catch (const YAML::Exception& e) {
    SourceLoc loc = start;
    if (!e.mark.is_null()) {
      loc.line = static_cast<uint32_t>(e.mark.line) + 1;
      loc.column = static_cast<uint32_t>(e.mark.column) + 1;
    }
    // yaml-cpp notices an unclosed '[' or '{' only where it gives up (often the end of the
    // file); the bracket that was never closed is what the user has to find.
    bool seq = e.msg == YAML::ErrorMsg::END_OF_SEQ_FLOW;
    if (seq || e.msg == YAML::ErrorMsg::END_OF_MAP_FLOW) {
      if (std::optional<SourceLoc> open = builder.openFlow(seq ? NodeKind::kSeq : NodeKind::kMap)) {
        sink.report(fileError(*open, "yaml-syntax",
                              seq ? "invalid YAML: this '[' is never closed; expected ']' after "
                                    "the last item"
                                  : "invalid YAML: this '{' is never closed; expected '}' after "
                                    "the last entry"));
        return std::move(builder.documents);
      }
    }
    std::string msg = e.msg;
    if (!msg.empty()) {
      msg[0] = ascii::toLower(msg[0]);
    }
    sink.report(fileError(loc, "yaml-syntax", "invalid YAML: " + msg));
  } catch (const std::exception& e) {
    sink.report(fileError(start, "yaml-syntax", std::string("invalid YAML: ") + e.what()));
  }
  return std::move(builder.documents);
}

namespace {

void appendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void appendJson(std::string& out, const Node& n) {
  switch (n.kind()) {
    case NodeKind::kNull:
      out += "null";
      return;
    case NodeKind::kBool:
      out += n.boolValue() ? "true" : "false";
      return;
    case NodeKind::kInt:
      out += std::to_string(n.intValue());
      return;
    case NodeKind::kFloat: {
      std::ostringstream os;
      os << n.numberValue();
      out += os.str();
      return;
    }
    case NodeKind::kString:
      appendJsonString(out, n.text());
      return;
    case NodeKind::kSeq: {
      out.push_back('[');
      bool first = true;
      for (const Node* item : n.items()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        appendJson(out, *item);
      }
      out.push_back(']');
      return;
    }
    case NodeKind::kMap: {
      out.push_back('{');
      bool first = true;
      for (const MapEntry& e : n.entries()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        appendJsonString(out, e.key);
        out.push_back(':');
        appendJson(out, *e.value);
      }
      out.push_back('}');
      return;
    }
  }
}

}  // namespace

std::string toJson(const Node& node) {
  std::string out;
  appendJson(out, node);
  return out;
}

}  // namespace meshc::frontend
