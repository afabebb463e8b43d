// `codecbench doctor`: can this machine be trusted with a benchmark, and what to fix.
#include <fmt/core.h>

#include <memory>

#include "codecbench/catalog/catalog.hpp"
#include "codecbench/catalog/probe.hpp"
#include "codecbench/core/machine.hpp"
#include "codecbench/core/version.hpp"
#include "codecbench/report/views.hpp"
#include "codecbench/store/run_record.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace codecbench::cli {
namespace {

struct DoctorSettings {
  OutputOptions out;
  bool no_probe = false;
  double probe_timeout = 10;
};

int doctor(const DoctorSettings& s) {
  const MachineInfo m = MachineInfo::this_machine();
  const auto warnings = machine_warnings(m.conditions, m.logical_cores, 1);
  std::vector<ProbeResult> probes;
  if (!s.no_probe) {
    std::vector<std::string> names;
    for (const auto& e : list_implementations(true)) {
      if (!e.hardware) names.push_back(e.name);
    }
    ProbeOptions o;
    o.timeout_s = s.probe_timeout;
    probes = probe_encoders(names, o);
  }
  emit(doctor_view(m, warnings, version_info(), s.no_probe ? nullptr : &probes), s.out);
  return 0;
}

}  // namespace

void warn_about_machine(const MachineInfo& m, int cores_wanted, bool quiet) {
  if (quiet) return;
  if (const char* off = std::getenv("CODECBENCH_MACHINE_WARNINGS"); off && std::string(off) == "0")
    return;
  for (const auto& w : machine_warnings(m.conditions, m.logical_cores, cores_wanted)) {
    if (w.kind != MachineWarning::Kind::kBusy && w.kind != MachineWarning::Kind::kGovernor) {
      continue;
    }
    std::fprintf(stderr, "codecbench: warning: %s (fix: %s; `codecbench doctor` checks all)\n",
                 w.what.c_str(), w.fix.c_str());
  }
}

void register_doctor(CLI::App& app, CommandRunner& runner) {
  auto s = std::make_shared<DoctorSettings>();
  auto* cmd = app.add_subcommand(
      "doctor",
      "Check the machine for benchmarking: CPU, SMT, governor, boost, load, memory, VM, FFmpeg "
      "build, usable encoders; a fix for each noise source");
  cmd->add_flag("--no-probe", s->no_probe, "Skip probing which encoders work here");
  cmd->add_option("--probe-timeout", s->probe_timeout, "Seconds per encoder probe")
      ->capture_default_str()
      ->check(bounded(0.1, 600));
  add_output_options(cmd, s->out);
  cmd->callback([s, &runner] { runner = [s] { return doctor(*s); }; });
}

}  // namespace codecbench::cli
