// Canonical text form of the routing IR: stable (sorted hash maps, no pointers), one fact per
// line, indented by nesting, so dumps diff well. Entry point: dumpRouteProgram().
#pragma once

#include <string>
#include <string_view>

#include "ir/ir.h"

namespace meshc::ir {

/// The whole program: header, problems, domain table, then per virtual host its routes (with
/// every residual test), both tries (node edge label and full key, then its candidate sets and
/// switch cases) and the regex list. Same program → byte-identical text.
std::string dumpRouteProgram(const RouteProgram& program);

/// A string in double quotes with \" \\ \n \t and \xNN escapes, as the dump writes strings.
std::string dumpQuote(std::string_view s);

}  // namespace meshc::ir
