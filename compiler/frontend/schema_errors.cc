// valijson's failures → schema-* diagnostics (schema_errors.h). Entry point: reportSchemaErrors().
#include "frontend/schema_errors.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "base/ascii.h"
#include "base/quote.h"
#include "frontend/reporter.h"

namespace meshc::frontend::schema {

namespace {

enum class FailureKind {
  kUnknownField,
  kRequired,
  kType,
  kEnum,
  kOneOfMany,
  kOneOfNone,
  kAnyOf,
  kRange,
  kSize,
  kSummary,  // "a child failed": the child's own error says more
  kOther,
};

struct Failure {
  FailureKind kind;
  std::string detail;  // the required property name, or valijson's text for kOther
};

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Failure classify(const std::string& text) {
  if (startsWith(text, "Object contains a property that could not be validated")) {
    return {FailureKind::kUnknownField, {}};
  }
  if (startsWith(text, "Missing required property '")) {
    std::string name = text.substr(27);
    size_t end = name.rfind('\'');
    return {FailureKind::kRequired, end == std::string::npos ? name : name.substr(0, end)};
  }
  if (startsWith(text, "Value type not permitted")) {
    return {FailureKind::kType, {}};
  }
  if (startsWith(text, "Failed to match against any enum values") ||
      startsWith(text, "Failed to match expected value set by 'const'")) {
    return {FailureKind::kEnum, {}};
  }
  if (startsWith(text, "Failed to validate against exactly one child schema")) {
    return {FailureKind::kOneOfMany, {}};
  }
  if (startsWith(text, "Failed to validate against any child schemas allowed by oneOf")) {
    return {FailureKind::kOneOfNone, {}};
  }
  if (startsWith(text, "Failed to validate against any schemas allowed by anyOf")) {
    return {FailureKind::kAnyOf, {}};
  }
  if (startsWith(text, "Expected number less than") ||
      startsWith(text, "Expected number greater than")) {
    return {FailureKind::kRange, {}};
  }
  if (startsWith(text, "Array should contain no") || startsWith(text, "String should be no") ||
      startsWith(text, "Object should have no")) {
    return {FailureKind::kSize, {}};
  }
  if (startsWith(text, "Failed to validate against schema associated with property name") ||
      startsWith(text, "Failed to validate item #") ||
      startsWith(text, "Failed to validate against additional properties schema") ||
      startsWith(text, "Failed to validate against child schema #") ||
      startsWith(text, "Target should not validate against schema specified in 'not'")) {
    return {FailureKind::kSummary, {}};
  }
  return {FailureKind::kOther, text};
}

// Where a valijson context path lands in the YAML tree and in the schema.
struct Location {
  const Node* node = nullptr;
  const MapEntry* entry = nullptr;  // set when the last step was a map key
  const Json* schema = nullptr;
  std::string path;  // "spec.servers[0].port"; empty for the object itself
  bool complete = false;
};

Location resolve(const Node* root, const Json* root_schema, const std::vector<std::string>& ctx) {
  Location loc{root, nullptr, root_schema, {}, true};
  std::vector<PathStep> steps;
  // ctx[0] is "<root>"; every other element is "[key]" or "[index]".
  for (size_t i = 1; i < ctx.size(); ++i) {
    const std::string& raw = ctx[i];
    std::string_view seg(raw);
    if (seg.size() >= 2 && seg.front() == '[' && seg.back() == ']') {
      seg = seg.substr(1, seg.size() - 2);
    }
    if (loc.node->isMap()) {
      const MapEntry* e = loc.node->entry(seg);
      if (e == nullptr) {
        loc.complete = false;
        break;
      }
      bool declared = false;
      loc.schema = propertySchema(loc.schema, seg, &declared);
      loc.node = e->value;
      loc.entry = e;
      steps.push_back(PathStep{e->key, 0, false});
    } else if (loc.node->isSeq()) {
      size_t idx = 0;
      bool digits = !seg.empty() && seg.size() < 10;
      for (char c : seg) {
        digits = digits && c >= '0' && c <= '9';
        idx = idx * 10 + static_cast<size_t>(c - '0');
      }
      if (!digits || idx >= loc.node->size()) {
        loc.complete = false;
        break;
      }
      loc.schema = itemsSchema(loc.schema);
      loc.node = loc.node->items()[idx];
      loc.entry = nullptr;
      steps.push_back(PathStep{{}, idx, true});
    } else {
      loc.complete = false;
      break;
    }
  }
  loc.path = renderPath(steps);
  return loc;
}

// "string \"80\"", "integer 80", "boolean true", "object", ...
std::string describeValue(const Node& n) {
  std::string kind = nodeKindName(n.kind());
  switch (n.kind()) {
    case NodeKind::kString: {
      std::string_view text = n.text();
      if (text.size() > 40) {
        return kind + " " + quote(std::string(text.substr(0, 37)) + "...");
      }
      return kind + " " + quote(text);
    }
    case NodeKind::kBool:
    case NodeKind::kInt:
    case NodeKind::kFloat:
      return kind + " " + std::string(n.text());
    default:
      return kind;
  }
}

std::string formatNumber(const Json& v) {
  if (v.is_number_integer()) {
    return v.dump();
  }
  double d = v.is_number() ? v.get<double>() : 0.0;
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<int64_t>(d));
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

// "a", "a or b", "a, b or c".
std::string joinOr(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) {
      out += i + 1 == words.size() ? " or " : ", ";
    }
    out += words[i];
  }
  return out;
}

std::string joinAnd(const std::vector<std::string>& words) {
  std::string out = joinOr(words);
  size_t pos = out.rfind(" or ");
  return pos == std::string::npos ? out : out.replace(pos, 4, " and ");
}

std::string joinComma(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    out += (out.empty() ? "" : ", ") + w;
  }
  return out;
}

void addTypes(const Json* schema, std::vector<std::string>& out) {
  const Json* t = member(schema, "type");
  auto add = [&out](const Json& v) {
    if (v.is_string() && std::find(out.begin(), out.end(), v.get<std::string>()) == out.end()) {
      out.push_back(v.get<std::string>());
    }
  };
  if (t != nullptr && t->is_array()) {
    for (const Json& v : *t) {
      add(v);
    }
  } else if (t != nullptr) {
    add(*t);
  }
}

// The JSON types a value may have at schema, including int-or-string style anyOf/oneOf
// alternatives; "null" is left out when anything else is allowed (it only means "may be unset").
std::vector<std::string> expectedTypes(const Json* schema) {
  std::vector<std::string> out;
  addTypes(schema, out);
  for (const char* key : {"anyOf", "oneOf"}) {
    const Json* alts = member(schema, key);
    if (alts != nullptr && alts->is_array()) {
      for (const Json& alt : *alts) {
        addTypes(&alt, out);
      }
    }
  }
  if (out.size() > 1) {
    out.erase(std::remove(out.begin(), out.end(), "null"), out.end());
  }
  return out;
}

// Optimal-string-alignment distance, case-insensitive: a swapped pair of letters ("spce")
// counts as one edit, as it is the most common typo.
size_t editDistance(std::string_view a, std::string_view b) {
  auto same = [](char x, char y) { return ascii::toLower(x) == ascii::toLower(y); };
  const size_t w = b.size() + 1;
  std::vector<size_t> d((a.size() + 1) * w);
  for (size_t i = 0; i <= a.size(); ++i) {
    d[i * w] = i;
  }
  for (size_t j = 0; j <= b.size(); ++j) {
    d[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t v = std::min({d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1,
                           d[(i - 1) * w + j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
        v = std::min(v, d[(i - 2) * w + j - 2] + 1);
      }
      d[i * w + j] = v;
    }
  }
  return d[a.size() * w + b.size()];
}

// The closest candidate by case-insensitive edit distance, or empty when none is close enough
// (at most a third of the word's length, and at least one edit allowed).
std::string suggest(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.size() > 128) {
    return {};
  }
  size_t limit = std::max<size_t>(1, word.size() / 3);
  size_t best = limit + 1;
  std::string out;
  for (const std::string& c : candidates) {
    size_t d = editDistance(word, c);
    if (d < best) {
      best = d;
      out = c;
    }
  }
  return best <= limit ? out : std::string();
}

size_t utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    n += (c & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

// The property names of an "at most one of" group: the `required` of each oneOf alternative.
std::vector<std::vector<std::string>> oneOfGroups(const Json* schema) {
  std::vector<std::vector<std::string>> groups;
  auto collect = [&groups](const Json* one_of) {
    if (one_of == nullptr || !one_of->is_array()) {
      return;
    }
    std::vector<std::string> names;
    for (const Json& alt : *one_of) {
      const Json* req = member(&alt, "required");
      if (req != nullptr && req->is_array() && req->size() == 1 && (*req)[0].is_string()) {
        names.push_back((*req)[0].get<std::string>());
      }
    }
    if (!names.empty()) {
      groups.push_back(std::move(names));
    }
  };
  collect(member(schema, "oneOf"));
  if (const Json* all = member(schema, "allOf"); all != nullptr && all->is_array()) {
    for (const Json& part : *all) {
      collect(member(&part, "oneOf"));
    }
  }
  return groups;
}

constexpr std::string_view kUnknownField = "schema-unknown-field";
constexpr std::string_view kType = "schema-type";
constexpr std::string_view kRequired = "schema-required";
constexpr std::string_view kEnum = "schema-enum";
constexpr std::string_view kOneOf = "schema-one-of";
constexpr std::string_view kRange = "schema-range";
constexpr std::string_view kSize = "schema-size";
constexpr std::string_view kPattern = "schema-pattern";
constexpr std::string_view kInvalid = "schema-invalid";

// Turns the failures valijson found in one object into one diagnostic per problem. valijson
// reports a failure at every level up to the root and, for oneOf/anyOf, once per alternative;
// only the most specific failure at each location is kept.
class SchemaReporter {
 public:
  static constexpr size_t kMaxPerObject = 100;

  SchemaReporter(const Resource& r, DiagnosticSink& sink, const LoadedSchema& ls)
      : resource_(r), rep_(r, sink), ls_(ls), kind_(ls.kind) {}

  void report(const valijson::ValidationResults& results) {
    std::map<std::vector<std::string>, std::vector<Failure>> by_path;
    for (const valijson::ValidationResults::Error& e : results) {
      by_path[e.context].push_back(classify(e.description));
    }
    for (const auto& [ctx, failures] : by_path) {
      if (full()) {
        break;
      }
      reportAt(resolve(resource_.root, &ls_.doc, ctx), failures);
    }
    if (truncated_) {
      // Bounded work and output for pathological input (a map of 100,000 bad values).
      rep_.error(kInvalid, resource_.root,
                 "further schema errors in this object are not shown (limit " +
                     std::to_string(kMaxPerObject) + ")");
    }
  }

  void reportPatterns(const std::vector<PatternFailure>& failures) {
    for (const PatternFailure& f : failures) {
      rep_.error(kPattern, f.node,
                 "value " + quote(f.node->text()) + " for " + where(f.path) +
                     " does not match the pattern " + f.pattern);
      ++emitted_;
    }
  }

  // Validation failed but nothing specific could be said: never pass silently.
  void finish(const std::string& first_failure) {
    if (emitted_ == 0) {
      rep_.error(kInvalid, resource_.root,
                 "object does not match the " + kind_ + " schema" +
                     (first_failure.empty() ? std::string() : ": " + first_failure));
    }
  }

 private:
  bool full() {
    truncated_ = truncated_ || emitted_ >= kMaxPerObject;
    return truncated_;
  }

  std::string where(const std::string& path) const { return path.empty() ? kind_ : path; }

  void reportAt(const Location& loc, const std::vector<Failure>& failures) {
    auto has = [&failures](FailureKind k) {
      return std::any_of(failures.begin(), failures.end(),
                         [k](const Failure& f) { return f.kind == k; });
    };
    if (!loc.complete) {
      // The path does not lead to a node (should not happen); say what valijson said.
      for (const Failure& f : failures) {
        if (f.kind == FailureKind::kOther) {
          emitInvalid(loc, f.detail);
          return;
        }
      }
      return;
    }
    // A value of the wrong type makes every other finding about it moot.
    if (has(FailureKind::kType)) {
      emitType(loc);
      return;
    }
    size_t before = emitted_;
    // A misspelt required field ("host" for "hosts") is one mistake: the unknown-field finding
    // suggests the right name, so the "missing" finding for that name is not repeated.
    std::set<std::string> suggested;
    if (has(FailureKind::kUnknownField)) {
      emitUnknownFields(loc, suggested);
    }
    std::set<std::string> required;
    for (const Failure& f : failures) {
      if (f.kind == FailureKind::kRequired) {
        required.insert(f.detail);
      }
    }
    for (const std::string& name : required) {
      if (suggested.count(name) == 0) {
        emitRequired(loc, name);
      }
    }
    if (has(FailureKind::kEnum)) {
      emitEnum(loc);
    }
    if (has(FailureKind::kOneOfMany)) {
      emitOneOf(loc);
    }
    if (has(FailureKind::kRange)) {
      emitRange(loc);
    }
    if (has(FailureKind::kSize)) {
      emitSize(loc);
    }
    if (emitted_ != before) {
      return;
    }
    if (has(FailureKind::kOneOfNone) || has(FailureKind::kAnyOf)) {
      emitInvalid(loc, "does not match any of the allowed alternatives");
      return;
    }
    for (const Failure& f : failures) {
      if (f.kind == FailureKind::kOther) {
        emitInvalid(loc, f.detail);
        return;
      }
    }
  }

  void emitType(const Location& loc) {
    std::vector<std::string> types = expectedTypes(loc.schema);
    std::string expected = types.empty() ? "a different type" : joinOr(types);
    std::string msg =
        "expected " + expected + ", found " + describeValue(*loc.node) + " at " + where(loc.path);
    // The two YAML typing surprises: `version: 1` is not a string, `number: "80"` not a number.
    const Node& n = *loc.node;
    if (types == std::vector<std::string>{"string"} && (n.isBool() || n.isNumber())) {
      msg += "; quote the value to make it a string";
    } else if (n.isString() && n.quoted() && !n.text().empty() &&
               std::all_of(n.text().begin(), n.text().end(),
                           [](char c) { return c >= '0' && c <= '9'; }) &&
               std::find(types.begin(), types.end(), "integer") != types.end()) {
      msg += "; remove the quotes to make it a number";
    }
    rep_.error(kType, loc.node, std::move(msg));
    ++emitted_;
  }

  void emitUnknownFields(const Location& loc, std::set<std::string>& suggested) {
    if (!loc.node->isMap()) {
      return;
    }
    const Json* props = member(loc.schema, "properties");
    std::vector<std::string> names;
    if (props != nullptr && props->is_object()) {
      for (const auto& [name, sub] : props->items()) {
        names.push_back(name);
      }
    }
    std::string in = "in " + kind_ + (loc.path.empty() ? "" : " " + loc.path);
    for (const MapEntry& e : loc.node->entries()) {
      if (props != nullptr && props->is_object() && props->contains(e.key)) {
        continue;
      }
      if (full()) {
        return;
      }
      std::string hint = suggest(e.key, names);
      suggested.insert(hint);
      std::string msg = "unknown field " + quote(e.key) + " " + in;
      if (!hint.empty()) {
        msg += " (did you mean " + quote(hint) + "?)";
      }
      msg +=
          names.empty() ? "; no fields are allowed here" : "; expected one of: " + joinComma(names);
      Diagnostic& d = rep_.emitAtKey(kUnknownField, kIstSchemaError, Severity::kError, &e, msg);
      if (!hint.empty()) {
        d.fixit = FixIt{e.key_loc, static_cast<uint32_t>(e.key.size()), hint};
      }
      ++emitted_;
    }
  }

  void emitRequired(const Location& loc, const std::string& name) {
    // Only the schema's own `required` list counts: the `required` of a oneOf alternative
    // ("at most one of") failing is part of the oneOf finding, not a missing field.
    const Json* own = member(loc.schema, "required");
    if (own == nullptr || !own->is_array() || !loc.node->isMap() ||
        std::find(own->begin(), own->end(), Json(name)) == own->end()) {
      return;
    }
    const Node* present = loc.node->get(name);
    if (present != nullptr && !present->isNull()) {
      return;
    }
    std::string msg = "missing required field " + quote(name) + " in " + where(loc.path);
    if (loc.entry != nullptr) {
      rep_.emitAtKey(kRequired, kIstSchemaError, Severity::kError, loc.entry, msg);
    } else {
      rep_.error(kRequired, loc.path.empty() ? nullptr : loc.node, msg);
    }
    ++emitted_;
  }

  void emitEnum(const Location& loc) {
    std::vector<std::string> allowed;
    const Json* values = member(loc.schema, "enum");
    if (values != nullptr && values->is_array()) {
      for (const Json& v : *values) {
        if (!v.is_null()) {
          allowed.push_back(v.is_string() ? v.get<std::string>() : v.dump());
        }
      }
    }
    const Json* constant = member(loc.schema, "const");
    std::string field = loc.path.empty() ? kind_ : loc.path;
    std::string msg;
    if (constant != nullptr) {
      msg = "unexpected value " +
            std::string(loc.node->isString() ? quote(loc.node->text()) : describeValue(*loc.node)) +
            " for " + field + "; expected " + constant->dump();
    } else {
      std::string found = loc.node->isString() ? quote(loc.node->text()) : describeValue(*loc.node);
      msg = "unknown value " + found + " for " + field + "; expected one of: " + joinComma(allowed);
      std::string hint = loc.node->isString() ? suggest(loc.node->text(), allowed) : "";
      if (!hint.empty()) {
        msg += " (did you mean " + quote(hint) + "?)";
      }
    }
    rep_.error(kEnum, loc.node, msg);
    ++emitted_;
  }

  void emitOneOf(const Location& loc) {
    for (const std::vector<std::string>& group : oneOfGroups(loc.schema)) {
      std::vector<std::string> set;
      for (const std::string& name : group) {
        const Node* v = loc.node->get(name);
        if (v != nullptr && !v->isNull()) {
          set.push_back(name);
        }
      }
      if (set.size() < 2) {
        continue;
      }
      std::string msg = "at most one of " + joinComma(group) + " may be set in " + where(loc.path) +
                        "; found " + joinAnd(set);
      // Point at the second field set: the first one is usually the intended one.
      rep_.emitAtKey(kOneOf, kIstSchemaError, Severity::kError, loc.node->entry(set[1]), msg);
      ++emitted_;
      return;
    }
    rep_.error(kOneOf, loc.node,
               where(loc.path) + " must match exactly one of the allowed alternatives");
    ++emitted_;
  }

  void emitRange(const Location& loc) {
    const Json* lo = member(loc.schema, "minimum");
    const Json* hi = member(loc.schema, "maximum");
    std::string expected;
    if (lo != nullptr && hi != nullptr) {
      expected = formatNumber(*lo) + ".." + formatNumber(*hi);
    } else if (lo != nullptr) {
      expected = "at least " + formatNumber(*lo);
    } else if (hi != nullptr) {
      expected = "at most " + formatNumber(*hi);
    } else {
      expected = "a value in the allowed range";
    }
    rep_.error(kRange, loc.node,
               "value " + std::string(loc.node->text()) + " for " + where(loc.path) +
                   " is out of range; expected " + expected);
    ++emitted_;
  }

  void emitSize(const Location& loc) {
    const char* min_key = "minLength";
    const char* max_key = "maxLength";
    size_t count = 0;
    std::string what;
    std::string unit;
    if (loc.node->isString()) {
      count = utf8Length(loc.node->text());
      what = "value for " + where(loc.path) + " is " + std::to_string(count) + " characters long";
      unit = " characters";
    } else if (loc.node->isSeq()) {
      min_key = "minItems";
      max_key = "maxItems";
      count = loc.node->size();
      what = where(loc.path) + " has " + std::to_string(count) + (count == 1 ? " item" : " items");
      unit = " items";
    } else if (loc.node->isMap()) {
      min_key = "minProperties";
      max_key = "maxProperties";
      count = loc.node->size();
      what =
          where(loc.path) + " has " + std::to_string(count) + (count == 1 ? " entry" : " entries");
      unit = " entries";
    } else {
      return;
    }
    const Json* lo = member(loc.schema, min_key);
    const Json* hi = member(loc.schema, max_key);
    std::string expected;
    if (hi != nullptr && hi->is_number() && static_cast<double>(count) > hi->get<double>()) {
      expected = "at most " + formatNumber(*hi);
    } else if (lo != nullptr && lo->is_number()) {
      expected = "at least " + formatNumber(*lo);
    } else {
      expected = "a different size";
      unit.clear();
    }
    rep_.error(kSize, loc.node, what + "; expected " + expected + unit);
    ++emitted_;
  }

  void emitInvalid(const Location& loc, std::string detail) {
    if (!detail.empty()) {
      detail[0] = ascii::toLower(detail[0]);
    }
    rep_.error(kInvalid, loc.node, where(loc.path) + " " + detail);
    ++emitted_;
  }

  const Resource& resource_;
  Reporter rep_;
  const LoadedSchema& ls_;
  std::string kind_;
  size_t emitted_ = 0;
  bool truncated_ = false;
};

}  // namespace

void reportSchemaErrors(const Resource& r, DiagnosticSink& sink, const LoadedSchema& ls,
                        const valijson::ValidationResults* results,
                        const std::vector<PatternFailure>& pattern_failures,
                        const std::string& first_failure) {
  SchemaReporter out(r, sink, ls);
  if (results != nullptr) {
    out.report(*results);
  }
  out.reportPatterns(pattern_failures);
  out.finish(first_failure);
}

}  // namespace meshc::frontend::schema
