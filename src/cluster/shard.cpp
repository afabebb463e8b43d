// Sharding: a deterministic, cost-balanced split of a job list.
#include "codecbench/cluster/shard.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <regex>

#include "codecbench/core/error.hpp"
#include "codecbench/core/fingerprint.hpp"
#include "codecbench/media/source.hpp"
#include "codecbench/metrics/metrics.hpp"

namespace codecbench {
namespace {

int parse_count(const std::string& part, const std::string& text) {
  std::size_t used = 0;
  long v = 0;
  try {
    v = std::stol(part, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (part.empty() || used != part.size() || v < 1 || v > kMaxShards) {
    throw UsageError(fmt::format("--shard '{}': expected K/N with 1 <= K <= N <= {} (e.g. 2/4)",
                                 text, kMaxShards));
  }
  return static_cast<int>(v);
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// Relative encoding cost per unit of work (pixels or samples), mpeg4 = 1. Rough figures from
// this project's benchmarks at default settings; they only need to order jobs, not time them.
double encoder_factor(const std::string& encoder) {
  static const std::map<std::string, double> kFactors = {
      {"libaom-av1", 30}, {"librav1e", 12}, {"libx265", 8}, {"libsvtav1", 4},
      {"libvpx-vp9", 5},  {"libvpx", 3},    {"libx264", 2}, {"libx264rgb", 2},
      {"libtheora", 1.5}, {"ffv1", 1.5},    {"mpeg4", 1},   {"mpeg2video", 1},
  };
  const auto it = kFactors.find(encoder);
  return it != kFactors.end() ? it->second : 1.5;
}

// Seconds a lavfi graph says it lasts (duration=, d=), or -1.
double lavfi_duration(const std::string& uri) {
  static const std::regex kDuration(R"((?:^|[:=,])(?:duration|d)=([0-9.]+))");
  std::smatch m;
  if (std::regex_search(uri, m, kDuration)) return std::atof(m[1].str().c_str());
  return -1;
}

// Seconds a file's container says it lasts, or -1.
double file_duration(const std::string& uri) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, uri.c_str(), nullptr, nullptr) < 0) return -1;
  const av::InputFormatPtr fmt(raw);
  return fmt->duration > 0 ? static_cast<double>(fmt->duration) / AV_TIME_BASE : -1;
}

// Work units of one input as a job uses it: frames x pixels, or samples x channels.
double work_of(const SourceSpec& spec) {
  const std::unique_ptr<FrameSource> source = open_source(spec);
  const StreamInfo& info = source->info();
  double seconds = spec.duration_s > 0 ? spec.duration_s : -1;
  if (seconds < 0) {
    seconds = spec.uri.rfind("lavfi:", 0) == 0 ? lavfi_duration(spec.uri) : file_duration(spec.uri);
    if (seconds > 0) seconds = std::max(0.0, seconds - spec.start_s);
  }
  if (seconds <= 0) seconds = 10;  // unknown length: an ordinary clip
  if (info.type == MediaType::kAudio)
    return seconds * info.sample_rate * std::max(1, info.channels);
  const double fps = info.frame_rate.num > 0 ? av_q2d(info.frame_rate) : 25.0;
  double frames = seconds * fps;
  if (spec.max_frames > 0) frames = std::min(frames, static_cast<double>(spec.max_frames));
  return frames * info.width * info.height;
}

}  // namespace

std::string ShardSpec::text() const { return fmt::format("{}/{}", index, count); }

ShardSpec parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) {
    throw UsageError(fmt::format("--shard '{}': expected K/N with 1 <= K <= N <= {} (e.g. 2/4)",
                                 text, kMaxShards));
  }
  ShardSpec s{parse_count(text.substr(0, slash), text), parse_count(text.substr(slash + 1), text)};
  if (s.index > s.count) {
    throw UsageError(fmt::format("--shard '{}': shard {} of {} does not exist (1 <= K <= N)", text,
                                 s.index, s.count));
  }
  return s;
}

std::optional<ShardSpec> shard_from_slurm() {
  const std::string id = env("SLURM_ARRAY_TASK_ID"), count = env("SLURM_ARRAY_TASK_COUNT");
  if (id.empty() || count.empty()) return std::nullopt;
  const std::string min = env("SLURM_ARRAY_TASK_MIN");
  try {
    const long k = std::stol(id) - (min.empty() ? 0 : std::stol(min)) + 1;
    return parse_shard(fmt::format("{}/{}", k, std::stol(count)));
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception&) {
    throw UsageError(fmt::format(
        "SLURM_ARRAY_TASK_ID={} SLURM_ARRAY_TASK_MIN={} SLURM_ARRAY_TASK_COUNT={}: not a shard", id,
        min, count));
  }
}

std::string slurm_array_run_uuid(const std::string& preset_hash) {
  const std::string array = env("SLURM_ARRAY_JOB_ID");
  if (array.empty()) return "";
  // A name-based UUID (version 8 layout) from the cluster, the array job and the preset: every
  // task of the array computes the same one.
  const std::string name =
      fmt::format("slurm:{}:{}:{}", env("SLURM_CLUSTER_NAME"), array, preset_hash);
  const std::string a = stable_hash(name), b = stable_hash(name + "#");
  return fmt::format("{}-{}-8{}-{:x}{}-{}", a.substr(0, 8), a.substr(8, 4), a.substr(13, 3),
                     8 + (std::stoi(b.substr(0, 1), nullptr, 16) & 3), b.substr(1, 3),
                     b.substr(4, 12));
}

std::vector<double> estimate_costs(const std::vector<BatchJob>& jobs) {
  std::map<std::string, double> work;  // per input as used (uri, stream, trim)
  std::vector<double> costs;
  for (const auto& j : jobs) {
    const SourceSpec& in = j.spec.input;
    const std::string id = fmt::format("{}|{}|{}|{}|{}", in.uri, in.stream_index, in.start_s,
                                       in.max_frames, in.duration_s);
    auto it = work.find(id);
    if (it == work.end()) {
      double units = 1;
      try {
        SourceSpec probe = in;
        if (const AVCodec* c = avcodec_find_encoder_by_name(j.spec.encoder.c_str()))
          probe.type = media_type_from_av(c->type);
        units = work_of(probe);
      } catch (const std::exception&) {
        units = 1;  // the job will fail with the reason; its cost does not matter
      }
      it = work.emplace(id, units).first;
    }
    double metric_cost = 0;
    for (const auto& m : j.spec.metrics) {
      for (const auto& d : metric_registry()) {
        if (d.name == m) metric_cost += d.cost;
      }
    }
    costs.push_back(it->second * (encoder_factor(j.spec.encoder) + 0.1 * metric_cost));
  }
  return costs;
}

void refine_costs(std::vector<double>& costs, const std::vector<BatchJob>& jobs,
                  const std::map<std::string, double>& measured) {
  std::vector<double> ratios;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const auto it = measured.find(jobs[i].key);
    if (it != measured.end() && costs[i] > 0 && it->second > 0)
      ratios.push_back(it->second / costs[i]);
  }
  if (ratios.empty()) return;
  std::nth_element(ratios.begin(), ratios.begin() + static_cast<std::ptrdiff_t>(ratios.size() / 2),
                   ratios.end());
  const double scale = ratios[ratios.size() / 2];
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const auto it = measured.find(jobs[i].key);
    costs[i] = it != measured.end() && it->second > 0 ? it->second : costs[i] * scale;
  }
}

std::vector<BatchJob> replicate_jobs(const std::vector<BatchJob>& jobs, int copies) {
  std::vector<BatchJob> out;
  for (int c = 0; c < std::max(1, copies); ++c) {
    for (const auto& j : jobs) {
      out.push_back(j);
      if (c > 0) out.back().key = stable_hash(fmt::format("{} copy {}", j.key, c));
    }
  }
  return out;
}

std::map<std::string, double> measured_wall_times(const std::vector<RunRecord>& runs) {
  std::map<std::string, double> out;
  for (const auto& r : runs) {
    for (const auto& j : r.jobs) {
      if (j.status == JobStatus::kOk && j.wall.median > 0) out[j.key] = j.wall.median;
    }
  }
  return out;
}

std::vector<BatchJob> shard_jobs(const std::vector<BatchJob>& jobs, const ShardSpec& shard,
                                 const std::map<std::string, double>& measured) {
  std::vector<double> costs = estimate_costs(jobs);
  refine_costs(costs, jobs, measured);
  const std::vector<int> which = assign_shards(jobs, costs, shard.count);
  std::vector<BatchJob> out;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (which[i] == shard.index) out.push_back(jobs[i]);
  }
  return out;
}

std::vector<int> assign_shards(const std::vector<BatchJob>& jobs, const std::vector<double>& costs,
                               int count) {
  std::vector<std::size_t> order(jobs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (costs[a] != costs[b]) return costs[a] > costs[b];
    if (jobs[a].key != jobs[b].key) return jobs[a].key < jobs[b].key;
    return a < b;
  });
  std::vector<double> load(static_cast<std::size_t>(std::max(1, count)), 0.0);
  std::vector<int> shard(jobs.size(), 1);
  for (std::size_t i : order) {
    const auto least = std::min_element(load.begin(), load.end()) - load.begin();
    load[static_cast<std::size_t>(least)] += costs[i];
    shard[i] = static_cast<int>(least) + 1;
  }
  return shard;
}

std::vector<BatchJob> claim_order(const std::vector<BatchJob>& jobs, const ShardSpec& shard,
                                  const std::map<std::string, double>& measured) {
  std::vector<double> costs = estimate_costs(jobs);
  refine_costs(costs, jobs, measured);
  const std::vector<int> which = assign_shards(jobs, costs, shard.count);
  const auto count = static_cast<std::size_t>(std::max(1, shard.count));
  // Each shard's jobs longest first, ties in job-list order: the order its owner runs them.
  std::vector<std::vector<std::size_t>> parts(count);
  for (std::size_t i = 0; i < jobs.size(); ++i)
    parts[static_cast<std::size_t>(which[i] - 1)].push_back(i);
  for (auto& p : parts)
    std::stable_sort(p.begin(), p.end(),
                     [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
  const auto own = static_cast<std::size_t>(shard.index - 1);
  std::vector<BatchJob> out;
  out.reserve(jobs.size());
  std::size_t longest = 0;
  for (const auto& p : parts) longest = std::max(longest, p.size());
  for (std::size_t i : parts[own]) out.push_back(jobs[i]);
  for (std::size_t r = 0; r < longest; ++r) {
    for (std::size_t d = 1; d < count; ++d) {
      const auto& p = parts[(own + d) % count];
      if (r < p.size()) out.push_back(jobs[p[p.size() - 1 - r]]);
    }
  }
  return out;
}

namespace {

// A file name for a claim: the key itself when it is a plain word (job keys are 16 hex
// digits), else its 64-bit FNV-1a hash.
std::string claim_name(const std::string& key) {
  if (!key.empty() && key.size() <= 128 &&
      key.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-") ==
          std::string::npos)
    return key;
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
  return fmt::format("h{:016x}", h);
}

struct ClaimFile {
  int fd;
  ~ClaimFile() {
    if (fd >= 0) ::close(fd);
  }
};

// The run a claim file names ("run UUID" on its second line); "" when it names none (a claim
// of an older codecbench, or not a claim). Links and FIFOs are not followed or read.
std::string claim_run(const std::string& path) {
  const ClaimFile f{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (f.fd < 0) return "";
  char buf[1024];
  const ssize_t n = ::read(f.fd, buf, sizeof buf);
  const std::string text(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  const auto at = text.find("\nrun ");
  if (at == std::string::npos) return "";
  const auto end = text.find('\n', at + 5);
  return text.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
}

}  // namespace

JobClaims::JobClaims(std::string folder, std::string claimant, std::string run_uuid)
    : folder_(std::move(folder)), claimant_(std::move(claimant)), run_uuid_(std::move(run_uuid)) {
  std::error_code ec;
  std::filesystem::create_directories(folder_, ec);
  if (ec || !std::filesystem::is_directory(folder_)) {
    throw InputError(fmt::format("{}: cannot create the claims folder ({})", folder_,
                                 ec ? ec.message() : "not a folder"));
  }
  // A claim already there says whose folder it is: one look before any job is left out.
  for (const auto& e : std::filesystem::directory_iterator(folder_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    const std::string other = claim_run(e.path().string());
    if (other != run_uuid_) {
      throw InputError(fmt::format(
          "{}: holds the claims of {} (this run is {}); claims are never released, so a new "
          "launch needs a new folder",
          folder_, other.empty() ? "another run" : "run " + other, run_uuid_));
    }
    break;
  }
}

bool JobClaims::claim(const std::string& key) const {
  const std::string path = (std::filesystem::path(folder_) / claim_name(key)).string();
  // The claim is made whole under a name of this process's, then linked to the key's name:
  // link() fails if the name exists (atomic, also on NFS), and whoever reads a claim reads
  // all of it.
  const std::string tmp =
      (std::filesystem::path(folder_) / fmt::format(".claiming-{}-{}", ::getpid(), claim_name(key)))
          .string();
  {
    const ClaimFile f{
        ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)};
    if (f.fd < 0) {
      throw InputError(fmt::format("{}: cannot claim the job ({})", path, std::strerror(errno)));
    }
    // Who has it, for whoever looks at the folder, and the run it belongs to.
    const std::string text = claimant_ + "\nrun " + run_uuid_ + "\n";
    if (::write(f.fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      const int err = errno;
      ::unlink(tmp.c_str());
      throw InputError(fmt::format("{}: cannot claim the job ({})", path, std::strerror(err)));
    }
  }
  const int linked = ::link(tmp.c_str(), path.c_str());
  const int err = errno;
  ::unlink(tmp.c_str());
  if (linked == 0) return true;
  if (err != EEXIST) {
    throw InputError(fmt::format("{}: cannot claim the job ({})", path, std::strerror(err)));
  }
  if (const std::string other = claim_run(path); other != run_uuid_) {
    throw InputError(
        fmt::format("{}: the job is claimed by {} (this run is {}); a new launch "
                    "needs a new claims folder",
                    path, other.empty() ? "another run" : "run " + other, run_uuid_));
  }
  return false;
}

}  // namespace codecbench
