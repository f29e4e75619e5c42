// `meshc schema`: prints an embedded JSON Schema (for editors) or lists them.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/ascii.h"
#include "base/quote.h"
#include "cli/commands.h"
#include "frontend/schema_check.h"

namespace meshc::cli {

namespace {

struct SchemaFlags {
  std::string kind;
  std::string version;
  bool list = false;
};

int runSchema(const SchemaFlags& flags) {
  const auto& kinds = frontend::schemaKinds();
  if (flags.list || flags.kind.empty()) {
    for (const frontend::SchemaEntry& e : kinds) {
      std::string versions;
      for (const std::string& v : e.versions) {
        versions += (versions.empty() ? "" : ", ") + v;
      }
      std::cout << fmt::format("{:<24} {:<24} {}\n", e.kind, e.group.empty() ? "core" : e.group,
                               versions);
    }
    if (!flags.list) {
      std::cerr << "meshc schema: give a KIND to print its schema\n";
      return kExitUsage;
    }
    return kExitClean;
  }
  for (const frontend::SchemaEntry& e : kinds) {
    if (!ascii::equalsIgnoreCase(e.kind, flags.kind)) {
      continue;
    }
    std::string version = flags.version.empty() ? e.versions.back() : flags.version;
    std::string_view text = frontend::schemaFor(e.kind, version);
    if (text.empty()) {
      std::cerr << fmt::format("meshc schema: {} has no version {}; known versions: {}\n",
                               e.kind, quote(version), fmt::join(e.versions, ", "));
      return kExitUsage;
    }
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    std::cout << (j.is_discarded() ? std::string(text) : j.dump(2)) << "\n";
    return kExitClean;
  }
  std::cerr << fmt::format("meshc schema: unknown kind {}; see meshc schema --list\n",
                           quote(flags.kind));
  return kExitUsage;
}

}  // namespace

std::function<int()> setupSchema(CLI::App& sub) {
  auto flags = std::make_shared<SchemaFlags>();
  sub.add_option("kind", flags->kind, "kind, e.g. VirtualService");
  sub.add_option("--version", flags->version, "API version (default: the newest)");
  sub.add_flag("--list", flags->list, "list every kind with an embedded schema");
  return [flags] { return runSchema(*flags); };
}

}  // namespace meshc::cli
