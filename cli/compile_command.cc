// `meshc compile`: one proxy's routing (listeners, route tables, decision trees, actions,
// clusters) into a versioned, checksummed bundle that meshproxy and `simulate --bundle` load.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/atomic_file.h"
#include "cli/commands.h"
#include "cli/credentials_dir.h"
#include "cli/routing_flags.h"
#include "cli/routing_input.h"
#include "codegen/codegen.h"
#include "emit/bundle_writer.h"

namespace meshc::cli {

namespace {

struct CompileFlags {
  RoutingFlags routing;
  std::string output;
  bool keep_going = false;
  std::string cpu = "x86-64";
  bool no_native = false;
  bool stats = false;
  std::string credentials_dir;
};

// A progress bar on stderr for compiles that run longer than a second, only on a terminal.
class ProgressBar {
 public:
  ProgressBar() : tty_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}
  ~ProgressBar() {
    if (shown_) {
      std::cerr << "\r\033[K" << std::flush;
    }
  }
  void update(size_t done, size_t total) {
    if (!tty_ || total == 0) {
      return;
    }
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (elapsed < 1.0) {
      return;
    }
    shown_ = true;
    constexpr size_t kWidth = 30;
    size_t filled = std::min(kWidth, done * kWidth / total);
    std::cerr << "\rmeshc compile: [" << std::string(filled, '=')
              << std::string(kWidth - filled, ' ') << "] " << (done * 100 / total) << "% "
              << fmt::format("{:.1f}s", elapsed) << std::flush;
  }

 private:
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

// --credentials-dir: names and key names only, never a value.
int writeCredentialsDir(const std::string& dir, const CredentialSet& set) {
  for (const std::string& name : set.not_secret_names) {
    std::cerr << fmt::format(
        "meshc compile: note: credential {} does not name a Secret of the gateway's namespace; "
        "--credentials-dir leaves it out\n",
        name);
  }
  for (const std::string& ref : set.missing) {
    std::string name = ref.substr(ref.find('/') + 1);
    std::cerr << fmt::format(
        "meshc compile: note: credential {} is not in the input; meshproxy will read it from "
        "--credentials {}/{}/ at run time\n",
        ref, dir, name);
  }
  if (Status st = writeCredentials(dir, set); !st) {
    std::cerr << "meshc compile: " << st.message() << "\n";
    return kExitUsage;
  }
  std::vector<std::string> written;
  for (const CredentialFiles& c : set.credentials) {
    std::vector<std::string> keys;
    for (const auto& [key, bytes] : c.files) {
      keys.push_back(key);
    }
    written.push_back(fmt::format("{} ({})", c.name, fmt::join(keys, ", ")));
  }
  std::cout << fmt::format("credentials: wrote {} Secret(s) to {}{}{}\n", set.credentials.size(),
                           dir, written.empty() ? "" : ": ", fmt::join(written, ", "));
  return kExitClean;
}

int runCompile(const CompileFlags& flags) {
  if (flags.routing.files.empty()) {
    std::cerr << "meshc compile: give the manifests with -f PATH\n";
    return kExitUsage;
  }
  if (flags.output.empty()) {
    std::cerr << "meshc compile: give the bundle to write with -o PATH\n";
    return kExitUsage;
  }
  Expected<ProxySpec> proxy = flags.routing.proxy();
  if (!proxy) {
    std::cerr << "meshc compile: " << proxy.status().message() << "\n";
    return kExitUsage;
  }
  SourceManager sources;
  Expected<RoutingInput> input = flags.routing.load(sources);
  if (!input) {
    std::cerr << "meshc compile: " << input.status().message() << "\n";
    return kExitUsage;
  }
  warnRejected(*input, "compile");
  if (!input->rejected.empty() && !flags.keep_going) {
    std::cerr << fmt::format(
        "meshc compile: {} object(s) would be rejected; fix them (meshc lint) or pass "
        "--keep-going to compile without them\n",
        input->rejected.size());
    return kExitFindings;
  }
  SimulatorCache cache(input->config, sim::EngineKind::kInterpreter);
  Expected<const sim::Simulator*> s = cache.get(*proxy);
  if (!s) {
    std::cerr << "meshc: internal error: " << s.status().message() << "\n";
    return kExitInternal;
  }
  const lower::ProxyConfig& pc = (*s)->config();
  // Secrets are decoded before anything is written, so a bad one leaves no bundle behind.
  std::optional<CredentialSet> credentials;
  if (!flags.credentials_dir.empty()) {
    Expected<CredentialSet> c = collectCredentials(pc, input->config, sources);
    if (!c) {
      std::cerr << "meshc compile: " << c.status().message() << "\n";
      return kExitFindings;
    }
    credentials = std::move(*c);
  }
  std::vector<ir::RouteProgram> programs;
  for (size_t i = 0; i < pc.route_configs.size(); ++i) {
    programs.push_back((*s)->program(i));
  }
  emit::BundleInputs in;
  in.config = &pc;
  in.programs = &programs;
  std::vector<std::string_view> hashed;
  for (uint32_t f = 0; f < sources.size(); ++f) {
    in.source_files.push_back(emit::bundleSourcePath(sources.path(f)));
  }
  // A second pass: `hashed` holds views into source_files, which must be done growing.
  for (uint32_t f = 0; f < sources.size(); ++f) {
    hashed.push_back(in.source_files[f]);
    hashed.push_back(sources.file(f).content);
  }
  std::string proxy_key = proxy->key();
  hashed.push_back(proxy_key);
  in.compiler_version = MESHC_VERSION;
  codegen::CodegenStats stats;
  if (!flags.no_native) {
    ProgressBar bar;
    codegen::CodegenOptions options;
    options.cpu = flags.cpu;
    options.progress = [&bar](size_t done, size_t total) { bar.update(done, total); };
    Expected<codegen::NativeObject> object = codegen::compileNative(programs, options);
    if (!object) {
      std::cerr << "meshc compile: native code: " << object.status().message()
                << (object.status().code() == StatusCode::kUnsupported
                        ? " (use --no-native for a bundle with the portable tree only)"
                        : "")
                << "\n";
      return object.status().code() == StatusCode::kInternal ? kExitInternal : kExitUsage;
    }
    emit::NativeCode native;
    native.platform = object->platform;
    native.function_count = object->function_count;
    native.object = std::move(object->object);
    stats = object->stats;
    in.native = std::move(native);
  }
  // The CPU choice changes the bytes, so it is part of what the hash covers.
  hashed.push_back(flags.no_native ? std::string_view("portable") : std::string_view(flags.cpu));
  in.input_hash = emit::hashInputs(hashed);
  std::string bytes = emit::writeBundle(in);
  if (Status st = writeFileAtomically(flags.output, bytes); !st) {
    std::cerr << "meshc compile: " << st.message() << "\n";
    return kExitUsage;
  }
  size_t vhosts = 0;
  size_t routes = 0;
  for (const auto& rc : pc.route_configs) {
    vhosts += rc.virtual_hosts.size();
    for (const auto& vh : rc.virtual_hosts) {
      routes += vh.routes.size();
    }
  }
  std::cout << fmt::format(
      "wrote {} ({} bytes): {} listeners, {} route configurations, {} virtual hosts, {} routes, "
      "{} clusters\n",
      flags.output, bytes.size(), pc.listeners.size(), pc.route_configs.size(), vhosts, routes,
      pc.clusters.size());
  if (flags.no_native) {
    std::cout << "native code: none (--no-native); runtimes evaluate the portable tree\n";
  } else {
    std::cout << fmt::format(
        "native code: {} for cpu {}, {} virtual hosts as native control flow, {} through the "
        "interpreter\n",
        in.native->platform.triple, in.native->platform.cpu, stats.native_virtual_hosts,
        stats.fallback_virtual_hosts);
  }
  if (flags.stats) {
    std::cout << fmt::format(
        "codegen: {} functions, {} LLVM instructions ({} functions above the -O2 size limit); "
        "lower {:.1f} ms, optimise {:.1f} ms, emit {:.1f} ms\n",
        stats.functions, stats.instructions, stats.unoptimized_functions, stats.lower_ms,
        stats.optimize_ms, stats.emit_ms);
  }
  if (credentials) {
    return writeCredentialsDir(flags.credentials_dir, *credentials);
  }
  return kExitClean;
}

}  // namespace

std::function<int()> setupCompile(CLI::App& sub) {
  auto flags = std::make_shared<CompileFlags>();
  addRoutingFlags(sub, flags->routing, EngineFlag::kNone);
  sub.add_option("-o,--output", flags->output, "the bundle to write, e.g. routes.mcb");
  sub.add_option("--cpu", flags->cpu,
                 "CPU for the native code: x86-64 (generic, default), native (this host), or an "
                 "LLVM CPU name");
  sub.add_flag("--no-native", flags->no_native,
               "leave out native code (runtimes evaluate the portable tree)");
  sub.add_flag("--stats", flags->stats, "print code generation statistics and timings");
  sub.add_option("--credentials-dir", flags->credentials_dir,
                 "also write the Secrets the gateway's TLS servers name (credentialName) as "
                 "DIR/<name>/<key> files for meshproxy --credentials DIR (0700 directories, 0600 "
                 "files)");
  sub.add_flag("--keep-going", flags->keep_going,
               "write the bundle even when some objects would be rejected (they are left out)");
  return [flags] { return runCompile(*flags); };
}

}  // namespace meshc::cli
