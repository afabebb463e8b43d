#pragma once
/// @file mpi_run.hpp
/// A batch over MPI ranks (`mpirun -n N codecbench run PRESET --mpi`): rank 0 hands out jobs,
/// longest estimate first, to the other ranks as they become free (dynamic, so uneven jobs
/// still balance) and commits every result to its sinks as it arrives; the other ranks run the
/// jobs they are sent. Every rank expands the same preset itself; rank 0 checks that their job
/// lists agree. Built when Open MPI is found (meson option -Dmpi); without it these throw
/// UsageError.

#include <memory>

#include "codecbench/run/batch.hpp"

namespace codecbench {

/// Whether this codecbench was built with MPI.
bool mpi_built() noexcept;

/// MPI_Init on construction, MPI_Finalize on destruction.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int size() const { return size_; }
  /// Ends every rank at once with this exit code (MPI_Abort): what rank 0 does when it fails
  /// while workers still run jobs, which a normal MPI_Finalize would wait for forever.
  [[noreturn]] void abort(int code) const;

 private:
  int rank_ = 0;
  int size_ = 1;
};

/// Rank 0 of a session of two or more ranks: distributes `jobs` (the workers apply the
/// preset's repeats and warmup) and records them through `sink` as run_batch does (same
/// summary; `options.stop` stops handing out jobs).
BatchSummary mpi_coordinate(const MpiSession& session, const std::vector<BatchJob>& jobs,
                            RunRecord header, ResultSink& sink, const BatchOptions& options);

/// The other ranks: run the jobs rank 0 sends until it says stop.
void mpi_work(const MpiSession& session, const Preset& settings, const std::vector<BatchJob>& jobs);

}  // namespace codecbench
