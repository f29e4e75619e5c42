// parseSimpleRegex(): a deliberately small regex subset (see simple_regex.h). RE2 semantics
// kept: '.' excludes '\n'; classes are case-sensitive; matching is against the whole value.
#include "codegen/simple_regex.h"

#include <cctype>

namespace meshc::codegen {

namespace {

using Bytes = std::bitset<256>;

Bytes range(int lo, int hi) {
  Bytes b;
  for (int c = lo; c <= hi; ++c) {
    b.set(static_cast<size_t>(c));
  }
  return b;
}

Bytes high() { return range(0x80, 0xff); }

bool isMeta(char c) {
  return std::string_view("\\.[]()|*+?{}^$").find(c) != std::string_view::npos;
}

// \d \w \s and escaped punctuation; false for anything else (\b, \pL, \x41, ...).
bool escape(char c, Bytes& out) {
  switch (c) {
    case 'd':
      out = range('0', '9');
      return true;
    case 'w':
      out = range('0', '9') | range('a', 'z') | range('A', 'Z');
      out.set('_');
      return true;
    case 's':
      // RE2's \s: [\t\n\f\r ] (no \v).
      out.reset();
      for (char s : {'\t', '\n', '\f', '\r', ' '}) {
        out.set(static_cast<unsigned char>(s));
      }
      return true;
    default:
      if (std::ispunct(static_cast<unsigned char>(c)) != 0) {
        out.reset();
        out.set(static_cast<unsigned char>(c));
        return true;
      }
      return false;
  }
}

// A bracket class starting after '['; advances `at` past ']'. negated set when it was [^...].
bool parseClass(std::string_view p, size_t& at, Bytes& out, bool& negated) {
  out.reset();
  negated = at < p.size() && p[at] == '^';
  if (negated) {
    ++at;
  }
  bool first = true;
  while (at < p.size() && (p[at] != ']' || first)) {
    first = false;
    unsigned char lo = static_cast<unsigned char>(p[at]);
    if (lo >= 0x80 || p[at] == '[') {
      return false;  // non-ASCII members and POSIX classes [[:alpha:]] stay with RE2
    }
    if (p[at] == '\\') {
      if (at + 1 >= p.size()) {
        return false;
      }
      Bytes e;
      if (!escape(p[at + 1], e)) {
        return false;
      }
      at += 2;
      out |= e;
      continue;
    }
    ++at;
    if (at + 1 < p.size() && p[at] == '-' && p[at + 1] != ']') {
      unsigned char hi = static_cast<unsigned char>(p[at + 1]);
      if (hi >= 0x80 || p[at + 1] == '\\' || hi < lo) {
        return false;
      }
      out |= range(lo, hi);
      at += 2;
    } else {
      out.set(lo);
    }
  }
  if (at >= p.size()) {
    return false;
  }
  ++at;  // ']'
  if (negated) {
    out.flip();  // RE2's default flags (ClassNL) let a negated class match '\n'
  }
  return true;
}

}  // namespace

std::optional<std::vector<RegexAtom>> parseSimpleRegex(std::string_view p) {
  std::vector<RegexAtom> atoms;
  size_t at = 0;
  while (at < p.size()) {
    RegexAtom atom;
    bool multibyte_ok = false;  // the class takes every byte >= 0x80 (whole code points)
    char c = p[at];
    if (c == '\\') {
      if (at + 1 >= p.size() || !escape(p[at + 1], atom.bytes)) {
        return std::nullopt;
      }
      at += 2;
    } else if (c == '.') {
      atom.bytes = range(0, 0xff);
      atom.bytes.reset('\n');
      multibyte_ok = true;
      ++at;
    } else if (c == '[') {
      ++at;
      bool negated = false;
      if (!parseClass(p, at, atom.bytes, negated)) {
        return std::nullopt;
      }
      multibyte_ok = negated;
    } else if (isMeta(c) || static_cast<unsigned char>(c) >= 0x80) {
      return std::nullopt;
    } else {
      atom.bytes.set(static_cast<unsigned char>(c));
      ++at;
    }
    if (at < p.size() && (p[at] == '?' || p[at] == '*' || p[at] == '+')) {
      atom.repeat = p[at] == '?'   ? RegexAtom::Repeat::kOptional
                    : p[at] == '*' ? RegexAtom::Repeat::kStar
                                   : RegexAtom::Repeat::kPlus;
      ++at;
      if (at < p.size() && (p[at] == '?' || p[at] == '*' || p[at] == '+' || p[at] == '{')) {
        return std::nullopt;  // lazy or possessive forms, counted repetition
      }
    } else if (at < p.size() && p[at] == '{') {
      return std::nullopt;
    }
    // A class that takes non-ASCII bytes is only byte-exact when it repeats (* or +): a run
    // of whole code points is then a run of such bytes.
    bool has_high = (atom.bytes & high()).any();
    if (has_high && !(multibyte_ok && (atom.repeat == RegexAtom::Repeat::kStar ||
                                       atom.repeat == RegexAtom::Repeat::kPlus))) {
      return std::nullopt;
    }
    if (has_high && (atom.bytes & high()) != high()) {
      return std::nullopt;
    }
    atoms.push_back(atom);
  }
  // Greedy without backtracking is exact when no byte a variable atom takes could start what
  // follows it (up to and including the next atom that must match at least once).
  for (size_t i = 0; i < atoms.size(); ++i) {
    if (atoms[i].repeat == RegexAtom::Repeat::kOne) {
      continue;
    }
    Bytes follow;
    for (size_t j = i + 1; j < atoms.size(); ++j) {
      follow |= atoms[j].bytes;
      if (atoms[j].repeat == RegexAtom::Repeat::kOne ||
          atoms[j].repeat == RegexAtom::Repeat::kPlus) {
        break;
      }
    }
    if ((atoms[i].bytes & follow).any()) {
      return std::nullopt;
    }
  }
  return atoms;
}

}  // namespace meshc::codegen
