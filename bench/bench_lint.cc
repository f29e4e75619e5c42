// Lint benchmark: full `meshc lint` pipeline vs yaml-cpp's YAML::LoadAll on the same generated files.
// Entry point: main; each measurement runs in a forked child so peak RSS is per phase.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "frontend/lint.h"
#include "sim/route_lint.h"
#include "manifest_generator.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Sample {
  double seconds = 0;
  long max_rss_kb = 0;
  long extra = 0;  // diagnostics count for lint
};

// Runs fn in a child process; returns its wall time and peak RSS.
Sample measureInChild(const std::function<long()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("pipe");
    std::exit(3);
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto t0 = Clock::now();
    long extra = fn();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    double msg[2] = {s, static_cast<double>(extra)};
    ssize_t w = write(fds[1], msg, sizeof msg);
    _exit(w == sizeof msg ? 0 : 1);
  }
  close(fds[1]);
  double msg[2] = {0, 0};
  ssize_t r = read(fds[0], msg, sizeof msg);
  close(fds[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  if (r != sizeof msg || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "benchmark child failed\n");
    std::exit(3);
  }
  return Sample{msg[0], ru.ru_maxrss, static_cast<long>(msg[1])};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  meshc::bench::GeneratorOptions gen;
  int repeat = 5;
  std::string write_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--resources") {
      gen.resources = std::atoi(next().c_str());
    } else if (a == "--routes-per-service") {
      gen.routes_per_service = std::atoi(next().c_str());
    } else if (a == "--repeat") {
      repeat = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--write") {
      write_dir = next();
    } else {
      std::fprintf(stderr,
                   "usage: meshc_bench_lint [--resources N] [--routes-per-service N] [--repeat N] "
                   "[--write DIR]\n");
      return 2;
    }
  }
  meshc::bench::GeneratedSet set = meshc::bench::generateManifests(gen);
  size_t bytes = 0;
  for (const auto& f : set.files) {
    bytes += f.text.size();
  }
  if (!write_dir.empty()) {
    std::filesystem::create_directories(write_dir);
    for (const auto& f : set.files) {
      std::ofstream(std::filesystem::path(write_dir) / f.name) << f.text;
    }
  }
  std::vector<std::pair<std::string, std::string>> inputs;
  for (const auto& f : set.files) {
    inputs.emplace_back(f.name, f.text);
  }
  fmt::print("input: {} resources, {} routes, {} files, {:.1f} MB\n", set.resources, set.routes,
             set.files.size(), bytes / 1e6);

  std::vector<double> base_s, lint_s;
  long base_rss = 0, lint_rss = 0, diags = 0;
  for (int r = 0; r < repeat; ++r) {
    Sample b = measureInChild([&] {
      long docs = 0;
      for (const auto& f : set.files) {
        docs += static_cast<long>(YAML::LoadAll(f.text).size());
      }
      return docs;
    });
    Sample l = measureInChild([&] {
      meshc::SourceManager sources;
      meshc::frontend::LintOptions options;  // as `meshc lint` runs it, route shadowing included
      options.extra_checks.push_back(meshc::sim::checkRouteShadowing);
      meshc::frontend::LintResult res = meshc::frontend::lintTexts(inputs, sources, options);
      return static_cast<long>(res.diagnostics.size());
    });
    base_s.push_back(b.seconds);
    lint_s.push_back(l.seconds);
    base_rss = std::max(base_rss, b.max_rss_kb);
    lint_rss = std::max(lint_rss, l.max_rss_kb);
    diags = l.extra;
  }
  double mb = median(base_s);
  double ml = median(lint_s);
  fmt::print("yaml-cpp YAML::LoadAll (baseline): median {:.3f} s, peak RSS {:.0f} MB\n", mb,
             base_rss / 1024.0);
  fmt::print("meshc lint (full pipeline):        median {:.3f} s, peak RSS {:.0f} MB, {} diagnostics\n",
             ml, lint_rss / 1024.0, diags);
  fmt::print("ratio lint / yaml-cpp: {:.2f}x (target <= 2.0x); {:.0f} resources/s; runs: {}\n",
             mb > 0 ? ml / mb : 0.0, ml > 0 ? set.resources / ml : 0.0, repeat);
  return 0;
}
