// valijson's failures → schema-* diagnostics at the offending key or value, with the expected
// types, values and suggestions. Internal to the schema check; entry point: reportSchemaErrors().
#pragma once

#include <string>
#include <valijson/validation_results.hpp>
#include <vector>

#include "frontend/resource.h"
#include "frontend/schema_convert.h"
#include "frontend/schema_registry.h"
#include "support/diagnostic.h"

namespace meshc::frontend::schema {

/// Reports one diagnostic per problem in r: valijson's results (nullptr when valijson accepted
/// the object) and the pattern failures. first_failure, valijson's first message, is reported
/// when nothing more specific was.
void reportSchemaErrors(const Resource& r, DiagnosticSink& sink, const LoadedSchema& ls,
                        const valijson::ValidationResults* results,
                        const std::vector<PatternFailure>& pattern_failures,
                        const std::string& first_failure);

}  // namespace meshc::frontend::schema
