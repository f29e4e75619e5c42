// The regexes native code matches without RE2: a sequence of byte classes, each once, optional,
// or repeated, where greedy matching can never take a byte a later atom needs (so no
// backtracking). Classes that take non-ASCII code points ('.', [^/]) answer "undecided" on a
// byte >= 0x80 and RE2 decides (its UTF-8 rules: invalid sequences match nothing), so the
// answer is always RE2's. Anything else stays with RE2. Entry point: parseSimpleRegex().
#pragma once

#include <bitset>
#include <optional>
#include <string_view>
#include <vector>

namespace meshc::codegen {

struct RegexAtom {
  std::bitset<256> bytes;
  enum class Repeat { kOne, kOptional, kStar, kPlus };
  Repeat repeat = Repeat::kOne;
};

/// The atoms of `pattern` when it is simple (above), else nullopt. Supported: literal bytes
/// (ASCII), escapes of punctuation, \d \w \s, '.', classes [a-z0-9_] and [^/] with ranges, and
/// ? * + after any atom. Refused: groups, alternation, anchors, counted repetition, flags,
/// non-ASCII literals, '.' or negated classes without * or + (one code point may span several
/// bytes), and any quantified atom whose bytes a following atom could also take.
std::optional<std::vector<RegexAtom>> parseSimpleRegex(std::string_view pattern);

}  // namespace meshc::codegen
