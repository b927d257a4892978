// How many OpenMP threads a memory-bound loop of this addon wakes.
//
// Why: Loupe lets idle OpenMP threads sleep (OMP_WAIT_POLICY=PASSIVE, ml/backends/onednn/openmp.ts),
// and waking one costs tens of microseconds, about what a thread takes to stream
// VALUES_PER_THREAD floats. A parallel region wakes every thread of the team, even those its
// schedule leaves without work, so a small op on a 16-core machine paid for 15 wake-ups it
// could not use. Results never depend on the count: every loop that uses this gives each output
// to exactly one thread.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace loupe {

constexpr int64_t VALUES_PER_THREAD = 1 << 17;

// Threads for a loop over `values` values: one per VALUES_PER_THREAD, at least 1, at most
// OpenMP's. 128K: on the loaded 2-core test machine an add of 512K floats ran no faster on 2
// threads than on 1, and one of 64K ran 4x slower.
inline int threads_for(int64_t values) {
  return static_cast<int>(std::clamp<int64_t>(values / VALUES_PER_THREAD, 1, omp_get_max_threads()));
}

}  // namespace loupe
