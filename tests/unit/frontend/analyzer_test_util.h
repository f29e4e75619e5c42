// Helpers for the analyzer tests: run the whole lint pipeline and pick findings by code.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "test_util.h"

namespace meshc::testing {

/// "Kind ns/name" of every finding with this id, sorted (Istio's tests compare a multiset).
inline std::vector<std::string> findingsOf(const frontend::LintResult& r, std::string_view id) {
  std::vector<std::string> out;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.id == id) {
      out.push_back(d.resource.friendlyName());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Findings whose id starts with "schema-" (the test YAML must be schema-valid).
inline std::vector<Diagnostic> schemaErrors(const frontend::LintResult& r) {
  std::vector<Diagnostic> out;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.id.rfind("schema-", 0) == 0 || d.id.rfind("yaml-", 0) == 0) {
      out.push_back(d);
    }
  }
  return out;
}

/// The first finding with this id, or nullptr.
inline const Diagnostic* firstOf(const frontend::LintResult& r, std::string_view id) {
  for (const Diagnostic& d : r.diagnostics) {
    if (d.id == id) {
      return &d;
    }
  }
  return nullptr;
}

inline bool ran(const frontend::LintResult& r, std::string_view analyzer) {
  return std::find(r.analyzers_run.begin(), r.analyzers_run.end(), analyzer) !=
         r.analyzers_run.end();
}

/// What istioctl's test harness adds to every case (AddDefaultResources): the ingress gateway
/// pod in istio-system and its Service with TCP ports 80, 443, 31400 and 15443.
inline constexpr const char* kDefaultIngress = R"(
apiVersion: v1
kind: Pod
metadata:
  name: istio-ingressgateway-dummypod
  namespace: istio-system
  labels:
    istio: ingressgateway
spec:
  containers:
  - name: istio-proxy
    image: proxyv2
---
apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  ports:
  - {name: http2, port: 80, targetPort: 80, protocol: TCP}
  - {name: https, port: 443, targetPort: 443, protocol: TCP}
  - {name: tcp, port: 31400, targetPort: 31400, protocol: TCP}
  - {name: tls, port: 15443, targetPort: 15443, protocol: TCP}
---
)";

// Self-signed EC certificates (base64 of the PEM text) made for these tests; the key matches all.
// valid 2020-01-01 .. 2120-01-01
inline constexpr const char* kCertValidB64 =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJHRENCdjZBREFnRUNBZ0VCTUFvR0NDcUdTTTQ5QkFNQ01C"
    "VXhFekFSQmdOVkJBTU1DbTFsYzJoakxYUmwKYzNRd0lCY05NakF3TVRBeE1EQXdNREF3V2hnUE1qRXlNREF4TURF"
    "d01EQXdNREJhTUJVeEV6QVJCZ05WQkFNTQpDbTFsYzJoakxYUmxjM1F3V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pP"
    "UFFNQkJ3TkNBQVNCaUxUVTE1b0EzbkpsCmhtTDh2OE44MnZ5d0xKdXZpcVRtZkRqVDRzZzVrYVhrdXY0eGJVWktN"
    "ZGVXekJJSExDOTBYSXhCbEFPSFFkT2kKblQ3TUxWcWtNQW9HQ0NxR1NNNDlCQU1DQTBnQU1FVUNJR1VpQ1hwZGY2"
    "aWFYQnZhbjhTUXRrRHdBcmh0M3Z6QwpJT3hHREV5ODJrN0tBaUVBakk5Sk16TkpSd05LSW9oZldDM2RYdkU0RDU4"
    "ZFRJQ3RRckgyb2VpRHFTMD0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";
// valid 2000-01-01 .. 2001-01-01
inline constexpr const char* kCertExpiredB64 =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJGVENCdmFBREFnRUNBZ0VCTUFvR0NDcUdTTTQ5QkFNQ01C"
    "VXhFekFSQmdOVkJBTU1DbTFsYzJoakxYUmwKYzNRd0hoY05NREF3TVRBeE1EQXdNREF3V2hjTk1ERXdNVEF4TURB"
    "d01EQXdXakFWTVJNd0VRWURWUVFEREFwdApaWE5vWXkxMFpYTjBNRmt3RXdZSEtvWkl6ajBDQVFZSUtvWkl6ajBE"
    "QVFjRFFnQUVnWWkwMU5lYUFONXlaWVppCi9ML0RmTnI4c0N5YnI0cWs1bnc0MCtMSU9aR2w1THIrTVcxR1NqSFhs"
    "c3dTQnl3dmRGeU1RWlFEaDBIVG9wMCsKekMxYXBEQUtCZ2dxaGtqT1BRUURBZ05IQURCRUFpQS82TEZ1R0c0bzB1"
    "WmlJK2ZoTVdSM0VqTGU1eVdRRElURgprY2YyT1JONWtnSWdHUWh0ZkQ0bjZMUXRuN21IMkRST1JQcUFOdkpQT1I4"
    "NmU4L0JvOHFxSkpzPQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==";
// valid 2110-01-01 .. 2120-01-01
inline constexpr const char* kCertFutureB64 =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJHakNCd2FBREFnRUNBZ0VCTUFvR0NDcUdTTTQ5QkFNQ01C"
    "VXhFekFSQmdOVkJBTU1DbTFsYzJoakxYUmwKYzNRd0loZ1BNakV4TURBeE1ERXdNREF3TURCYUdBOHlNVEl3TURF"
    "d01UQXdNREF3TUZvd0ZURVRNQkVHQTFVRQpBd3dLYldWemFHTXRkR1Z6ZERCWk1CTUdCeXFHU000OUFnRUdDQ3FH"
    "U000OUF3RUhBMElBQklHSXROVFhtZ0RlCmNtV0dZdnkvdzN6YS9MQXNtNitLcE9aOE9OUGl5RG1ScGVTNi9qRnRS"
    "a294MTViTUVnY3NMM1JjakVHVUE0ZEIKMDZLZFBzd3RXcVF3Q2dZSUtvWkl6ajBFQXdJRFNBQXdSUUlnSEpSYWI1"
    "UmE5VitTU2NMQ2VMcldidUhCQlhvLwoxelJFNG5CQnU3bmpHdHNDSVFDR3dLYXhWS3dZNm9WUUkzenZOTnBlQ2Mw"
    "cHNUeG53U2dzRnlEcDFGb0R6QT09Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K";
inline constexpr const char* kKeyB64 =
    "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEJH"
    "MHdhd0lCQVFRZ0lqSWRpNGdmYlR3RUdjeFgKdDlRcTBHd3VqZDdrbXB5Si9YWS9aVFFBbXNPaFJBTkNBQVNCaUxU"
    "VTE1b0EzbkpsaG1MOHY4Tjgydnl3TEp1dgppcVRtZkRqVDRzZzVrYVhrdXY0eGJVWktNZGVXekJJSExDOTBYSXhC"
    "bEFPSFFkT2luVDdNTFZxawotLS0tLUVORCBQUklWQVRFIEtFWS0tLS0tCg==";

}  // namespace meshc::testing
