// DestinationRule webhook validation (ISTIO-VALIDATION.md A.5, D1-D38).
// Entry point: validateDestinationRule(); traffic policies live in validate_traffic_policy.cc.
#include <set>
#include <string>
#include <string_view>

#include "base/quote.h"
#include "frontend/validation/validate.h"
#include "frontend/validation/validate_common.h"
#include "frontend/validation/validate_proto_fields.h"
#include "frontend/validation/validate_traffic_policy.h"

namespace meshc::frontend::validation {

namespace {

std::string_view scalarOrEmpty(const Node* n) {
  return (n != nullptr && n->isScalar() && !n->isNull()) ? n->text() : std::string_view();
}

void checkHost(const Node* spec, Reporter& rep) {
  const Node* host = child(spec, "host");
  if (isSet(host) && !host->isString()) {
    return;  // wrong type: the schema check reports it
  }
  std::string_view name = stringField(spec, "host");
  if (std::string reason = checkWildcardDomain(name); !reason.empty()) {
    rep.error("dr-host-invalid", isSet(host) ? host : spec, "invalid host: " + reason);
  }
}

void checkSubsets(const Node* subsets, Reporter& rep, std::string_view ns) {
  if (subsets == nullptr || !subsets->isSeq()) {
    return;
  }
  // Istio folds each subset's result with appendErrors, which keeps only the error half of the
  // nested Validation: warnings from a subset's trafficPolicy (deprecated consecutiveErrors,
  // failover without outlier detection, ...) never reach the user, so they are dropped here.
  PolicyContext subset_ctx{rep, ns, /*keep_warnings=*/false};
  std::set<std::string, std::less<>> names;
  for (const Node* subset : subsets->items()) {
    if (!isSet(subset)) {
      rep.error("dr-subset-null", subset, "subset entry is null; expected a subset");
      continue;
    }
    if (!subset->isMap()) {
      continue;  // wrong type: the schema check reports it
    }
    const Node* name_node = subset->get("name");
    const Node* at = isSet(name_node) ? name_node : subset;
    std::string_view name = stringField(subset, "name");
    if (!names.insert(std::string(name)).second) {
      rep.error("dr-subset-duplicate", at, "duplicate subset name " + quote(name));
    }
    if (name.empty()) {
      rep.error("dr-subset-name", at, "subset name must not be empty");
    } else if (!isDns1123Label(name)) {
      rep.error("dr-subset-name", at,
                "invalid subset name " + quote(name) + "; expected a DNS-1123 label");
    }
    checkLabelMap(subset->get("labels"), rep, "dr-subset-labels");
    checkTrafficPolicy(setMap(subset, "trafficPolicy"), subset_ctx);
  }
}

// The DestinationRule-only half of validateExportTo: with a workloadSelector, exportTo may
// only name the rule's own namespace, once. Istio works on the set of entries that passed the
// generic checks ("." replaced by the namespace), so invalid entries do not count here.
void checkExportToWithSelector(const Node* spec, Reporter& rep, std::string_view ns) {
  const Node* export_to = child(spec, "exportTo");
  if (!hasSetField(spec, "workloadSelector") || export_to == nullptr || !export_to->isSeq()) {
    return;
  }
  std::set<std::string, std::less<>> valid;
  for (const Node* item : export_to->items()) {
    std::string_view e = scalarOrEmpty(item);
    std::string key = e == "." ? std::string(ns) : std::string(e);
    if (key == "*" || key == "." || isDns1123Label(key)) {
      valid.insert(key);
    }
  }
  if (valid.empty()) {
    return;
  }
  if (valid.count(ns) == 0) {
    rep.error("dr-export-to-selector", export_to,
              "a destination rule with a workloadSelector cannot be exported beyond its own "
              "namespace " +
                  quote(ns) + "; use exportTo: [\".\"] or drop exportTo");
  } else if (valid.size() > 1) {
    rep.error("dr-export-to-selector", export_to,
              "a destination rule with a workloadSelector cannot have multiple exportTo "
              "entries; keep only \".\"");
  }
}

}  // namespace

void validateDestinationRule(const Resource& r, Reporter& rep) {
  const Node* spec = (r.spec != nullptr && r.spec->isMap()) ? r.spec : nullptr;
  checkHost(spec, rep);
  checkTrafficPolicy(setMap(spec, "trafficPolicy"), PolicyContext{rep, r.name_space, true});
  checkSubsets(child(spec, "subsets"), rep, r.name_space);
  checkExportTo(child(spec, "exportTo"), /*is_service_entry=*/false, rep, "dr-export-to");
  checkExportToWithSelector(spec, rep, r.name_space);
  checkWorkloadSelector(child(spec, "workloadSelector"), rep, "dr-workload-selector");
}

}  // namespace meshc::frontend::validation
