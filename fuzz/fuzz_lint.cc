// libFuzzer target over the loader, schema check, webhook validation and analyzers.
// Entry point: LLVMFuzzerTestOneInput; any input must yield diagnostics, never a crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "frontend/lint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  meshc::SourceManager sources;
  std::string text(reinterpret_cast<const char*>(data), size);
  meshc::frontend::LintResult result = meshc::frontend::lintTexts({{"fuzz.yaml", text}}, sources);
  (void)result;
  return 0;
}
