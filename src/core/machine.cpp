// The machine's benchmarking conditions from /proc and /sys (machine.hpp).
#include "codecbench/core/machine.hpp"

#include <fmt/core.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace codecbench {
namespace {

// The first line of a small kernel file, trimmed; "" when absent.
std::string kernel_line(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  if (!f || !std::getline(f, line)) return "";
  const auto end = line.find_last_not_of(" \t\r\n");
  return end == std::string::npos ? "" : line.substr(0, end + 1);
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::uint64_t meminfo_bytes(const std::string& text, const std::string& key) {
  const auto at = text.find("\n" + key + ":");
  const auto start = text.rfind(key + ":", 0) == 0 ? 0 : at == std::string::npos ? at : at + 1;
  if (start == std::string::npos) return 0;
  std::istringstream in(text.substr(start + key.size() + 1));
  std::uint64_t kib = 0;
  in >> kib;
  return kib * 1024;
}

std::string container_kind(const std::string& root) {
  std::error_code ec;
  if (std::filesystem::exists(root + "/.dockerenv", ec)) return "docker";
  if (std::filesystem::exists(root + "/run/.containerenv", ec)) return "podman";
  std::ifstream f(root + "/proc/1/cgroup");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string cg = ss.str();
  if (cg.find("kubepods") != std::string::npos) return "kubernetes";
  if (cg.find("docker") != std::string::npos) return "docker";
  if (cg.find("lxc") != std::string::npos) return "lxc";
  return "";
}

std::string fmt_gib(std::uint64_t bytes) {
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}

}  // namespace

MachineConditions read_machine_conditions(const std::string& root) {
  MachineConditions c;
  const std::string cpu = root + "/sys/devices/system/cpu";
  // SMT: whether sibling threads are active now; the control file says why not.
  const std::string active = kernel_line(cpu + "/smt/active");
  c.smt = active == "1" ? "on" : active == "0" ? "off" : kernel_line(cpu + "/smt/control");
  // Every CPU's governor: one that differs is as much a noise source as a slow one.
  std::set<std::string> governors;
  std::error_code ec;
  for (int i = 0; i < 4096; ++i) {
    const std::string dir = fmt::format("{}/cpu{}", cpu, i);
    if (!std::filesystem::exists(dir, ec)) break;
    const std::string g = kernel_line(dir + "/cpufreq/scaling_governor");
    if (!g.empty()) governors.insert(g);
  }
  for (const auto& g : governors) c.governor += (c.governor.empty() ? "" : ",") + g;
  c.governors_available = kernel_line(cpu + "/cpu0/cpufreq/scaling_available_governors");
  if (const std::string b = kernel_line(cpu + "/cpufreq/boost"); !b.empty()) {
    c.boost = b == "1" ? "on" : "off";
  } else if (const std::string nt = kernel_line(cpu + "/intel_pstate/no_turbo"); !nt.empty()) {
    c.boost = nt == "1" ? "off" : "on";
  }
  if (const std::string f = kernel_line(cpu + "/cpu0/cpufreq/cpuinfo_max_freq"); !f.empty()) {
    try {
      c.max_mhz = std::stod(f) / 1000.0;
    } catch (const std::exception&) {
    }
  }
  c.isolated_cpus = kernel_line(cpu + "/isolated");
  {
    std::istringstream in(kernel_line(root + "/proc/loadavg"));
    in >> c.load_average[0] >> c.load_average[1] >> c.load_average[2];
  }
  {
    std::ifstream f(root + "/proc/meminfo");
    std::stringstream ss;
    ss << f.rdbuf();
    c.memory_total_bytes = meminfo_bytes(ss.str(), "MemTotal");
    c.memory_available_bytes = meminfo_bytes(ss.str(), "MemAvailable");
  }
  {
    std::ifstream f(root + "/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind("flags", 0) == 0) {
        const auto w = words(line.substr(line.find(':') + 1));
        c.hypervisor = std::find(w.begin(), w.end(), "hypervisor") != w.end();
        break;
      }
    }
  }
  const std::string vendor = kernel_line(root + "/sys/class/dmi/id/sys_vendor");
  const std::string product = kernel_line(root + "/sys/class/dmi/id/product_name");
  if (c.hypervisor) c.vm_product = vendor.empty() ? product : vendor + " " + product;
  c.container = container_kind(root);
  if (root.empty()) {
    utsname u{};
    if (::uname(&u) == 0) c.kernel = u.release;
  } else {
    c.kernel = kernel_line(root + "/proc/sys/kernel/osrelease");
  }
  return c;
}

const char* machine_warning_kind_name(MachineWarning::Kind kind) noexcept {
  switch (kind) {
    case MachineWarning::Kind::kGovernor:
      return "governor";
    case MachineWarning::Kind::kBoost:
      return "boost";
    case MachineWarning::Kind::kSmt:
      return "smt";
    case MachineWarning::Kind::kBusy:
      return "busy";
    case MachineWarning::Kind::kVirtualMachine:
      return "virtual machine";
    case MachineWarning::Kind::kMemory:
      return "memory";
  }
  return "busy";
}

std::vector<MachineWarning> machine_warnings(const MachineConditions& c, int logical_cores,
                                             int cores_needed) {
  std::vector<MachineWarning> w;
  const auto available = words(c.governors_available);
  const bool can_perform =
      std::find(available.begin(), available.end(), "performance") != available.end();
  if (!c.governor.empty() && c.governor != "performance" && can_perform) {
    w.push_back(
        {MachineWarning::Kind::kGovernor,
         fmt::format("CPU frequency governor is {}: clocks change with the load", c.governor),
         "sudo cpupower frequency-set -g performance"});
  }
  if (c.boost == "on") {
    w.push_back({MachineWarning::Kind::kBoost,
                 "turbo/boost is on: the clock depends on temperature and on how many cores "
                 "are busy",
                 "echo 0 | sudo tee /sys/devices/system/cpu/cpufreq/boost (AMD, acpi-cpufreq) or "
                 "echo 1 | sudo tee /sys/devices/system/cpu/intel_pstate/no_turbo (Intel)"});
  }
  if (c.smt == "on") {
    w.push_back({MachineWarning::Kind::kSmt,
                 "SMT (hyper-threading) is on: two threads on one core slow each other",
                 "echo off | sudo tee /sys/devices/system/cpu/smt/control, or give jobs whole "
                 "cores (taskset)"});
  }
  if (logical_cores > 0) {
    const double free_cores = logical_cores - c.load_average[0];
    if (free_cores < cores_needed - 0.5) {
      w.push_back({MachineWarning::Kind::kBusy,
                   fmt::format("the machine is busy: load average {:.2f} over the last minute "
                               "with {} logical cores, {} wanted",
                               c.load_average[0], logical_cores, cores_needed),
                   "stop other work, or wait until `uptime` shows a load below the free cores"});
    }
  }
  if (c.hypervisor) {
    w.push_back({MachineWarning::Kind::kVirtualMachine,
                 fmt::format("running in a virtual machine{}: the host's other guests steal "
                             "time",
                             c.vm_product.empty() ? "" : " (" + c.vm_product + ")"),
                 "compare only results from the same VM type, and repeat runs (repeats: 5)"});
  }
  if (c.memory_total_bytes > 0 && (c.memory_available_bytes < (std::uint64_t{1} << 30) ||
                                   c.memory_available_bytes * 10 < c.memory_total_bytes)) {
    w.push_back({MachineWarning::Kind::kMemory,
                 fmt::format("little free memory: {} available of {}",
                             fmt_gib(c.memory_available_bytes), fmt_gib(c.memory_total_bytes)),
                 "close other programs; lower jobs: in the preset"});
  }
  return w;
}

std::string conditions_text(const MachineConditions& c) {
  if (c.empty()) return "";
  std::vector<std::string> parts;
  if (!c.governor.empty()) parts.push_back("governor " + c.governor);
  if (!c.boost.empty()) parts.push_back("boost " + c.boost);
  if (!c.smt.empty()) parts.push_back("SMT " + c.smt);
  parts.push_back(fmt::format("load {:.2f}", c.load_average[0]));
  if (c.memory_total_bytes > 0) {
    parts.push_back(fmt::format("{} of {} free", fmt_gib(c.memory_available_bytes),
                                fmt_gib(c.memory_total_bytes)));
  }
  if (c.hypervisor) parts.push_back("virtual machine");
  if (!c.container.empty()) parts.push_back("container (" + c.container + ")");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

void to_json(nlohmann::json& j, const MachineConditions& c) {
  j = {{"smt", c.smt},
       {"governor", c.governor},
       {"governors_available", c.governors_available},
       {"boost", c.boost},
       {"max_mhz", c.max_mhz},
       {"load_average", c.load_average},
       {"memory_total_bytes", c.memory_total_bytes},
       {"memory_available_bytes", c.memory_available_bytes},
       {"hypervisor", c.hypervisor},
       {"vm_product", c.vm_product},
       {"container", c.container},
       {"isolated_cpus", c.isolated_cpus},
       {"kernel", c.kernel}};
}

void from_json(const nlohmann::json& j, MachineConditions& c) {
  if (!j.is_object()) return;
  c.smt = j.value("smt", "");
  c.governor = j.value("governor", "");
  c.governors_available = j.value("governors_available", "");
  c.boost = j.value("boost", "");
  if (j.contains("max_mhz") && j["max_mhz"].is_number()) c.max_mhz = j["max_mhz"].get<double>();
  if (j.contains("load_average") && j["load_average"].is_array() && j["load_average"].size() == 3) {
    for (std::size_t i = 0; i < 3; ++i)
      c.load_average[i] = j["load_average"][i].is_number() ? j["load_average"][i].get<double>() : 0;
  }
  c.memory_total_bytes = j.value("memory_total_bytes", std::uint64_t{0});
  c.memory_available_bytes = j.value("memory_available_bytes", std::uint64_t{0});
  c.hypervisor = j.value("hypervisor", false);
  c.vm_product = j.value("vm_product", "");
  c.container = j.value("container", "");
  c.isolated_cpus = j.value("isolated_cpus", "");
  c.kernel = j.value("kernel", "");
}

std::string scheduler_job_id() {
  const char* id = std::getenv("SLURM_JOB_ID");
  return id != nullptr ? id : "";
}

}  // namespace codecbench
