#pragma once
/// @file machine.hpp
/// What a benchmark's reader needs to trust its numbers, as pyperf's `system show` reports it
/// for Python benchmarks: the CPU's frequency policy (governor, turbo/boost), SMT, the load on
/// the machine, memory, whether it is a virtual machine or a container. Read from Linux's
/// /proc and /sys; `codecbench doctor` shows them with a fix for each noise source found, and
/// every run records them (run_record.hpp's MachineInfo::conditions).

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace codecbench {

/// The conditions a measurement ran under. Empty strings and nullopt: unknown (the kernel
/// does not expose it, e.g. no cpufreq inside most VMs).
struct MachineConditions {
  std::string smt;  ///< "on"/"off" (sibling threads active: smt/active), else smt/control, or ""
  std::string governor;  ///< scaling_governor of every CPU ("powersave"; "a,b" when they differ)
  std::string governors_available;  ///< scaling_available_governors of CPU 0, space-separated
  std::string boost;                ///< "on" or "off" (cpufreq/boost, intel_pstate/no_turbo), or ""
  double max_mhz = 0;               ///< cpuinfo_max_freq of CPU 0; 0 when unknown
  std::array<double, 3> load_average{};      ///< 1, 5 and 15 minutes (/proc/loadavg)
  std::uint64_t memory_total_bytes = 0;      ///< MemTotal
  std::uint64_t memory_available_bytes = 0;  ///< MemAvailable
  bool hypervisor = false;    ///< the CPU reports a hypervisor (cpuinfo flag `hypervisor`)
  std::string vm_product;     ///< DMI product/vendor when readable ("KVM", "VMware7,1"), or ""
  std::string container;      ///< "docker", "podman", "lxc", "kubernetes", or "" (none seen)
  std::string isolated_cpus;  ///< /sys/devices/system/cpu/isolated ("" when none)
  std::string kernel;         ///< uname release

  /// True when nothing was collected (a record written before these were recorded).
  [[nodiscard]] bool empty() const { return kernel.empty() && memory_total_bytes == 0; }
};

/// Reads the conditions of this machine. `root` prefixes every path read ("" = the real
/// /proc and /sys; the tests pass a folder laid out like them).
MachineConditions read_machine_conditions(const std::string& root = "");

/// One thing that makes timings noisy, and what to do about it.
struct MachineWarning {
  /// Which noise source; `run` and `sweep` warn at their start about kBusy and kGovernor,
  /// `doctor` shows every kind.
  enum class Kind { kGovernor, kBoost, kSmt, kBusy, kVirtualMachine, kMemory };
  Kind kind = Kind::kBusy;
  std::string what;  ///< "CPU frequency governor is powersave"
  std::string fix;   ///< "sudo cpupower frequency-set -g performance"
};

/// "governor", "boost", "smt", "busy", "virtual machine" or "memory".
const char* machine_warning_kind_name(MachineWarning::Kind kind) noexcept;

/// The noise sources in `c` for a measurement that wants `cores_needed` of `logical_cores`
/// (doctor asks for 1): a governor other than performance where performance is available,
/// turbo/boost on, SMT on, a load average above the free cores, a hypervisor, little free
/// memory (under 1 GiB or 10%).
std::vector<MachineWarning> machine_warnings(const MachineConditions& c, int logical_cores,
                                             int cores_needed);

/// One line for reports: "governor performance, boost off, SMT off, load 0.12, 22.9 GiB of
/// 23.5 GiB free, virtual machine"; unknown facts are left out; "" when nothing was recorded.
std::string conditions_text(const MachineConditions& c);

/// The id of the batch scheduler's job this process runs under ($SLURM_JOB_ID), "" outside one.
std::string scheduler_job_id();

void to_json(nlohmann::json& j, const MachineConditions& c);
void from_json(const nlohmann::json& j, MachineConditions& c);

}  // namespace codecbench
