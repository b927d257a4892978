// The one native thread that runs every parallel kernel of this addon.
//
// Why: OpenMP (oneDNN's threading here) keeps a pool of threads per thread that starts a
// parallel region, and tears it down when that thread exits. Node's worker threads (Loupe's
// engine and gradient workers in browser mode and the CLI) can be terminated at any moment, and a
// worker that had started parallel regions then takes the whole process down with it
// (segmentation fault, reproduced with worker.terminate()). Running the kernels on a thread that
// lives as long as the process keeps every OpenMP pool out of the workers' lifetimes; the calling
// JavaScript thread waits, as it would for any synchronous kernel.
// Handing a kernel over costs two thread wake-ups when both sides sleep (measured 17-67 us on a
// loaded 2-core machine, more than a small kernel itself, and a training step makes hundreds of
// calls). So each side first spins for a short while (SPIN): the caller for a short kernel's
// end, the executor for the next call, which tfjs makes within tens of microseconds during a
// step. Past that both sleep, so an idle engine costs nothing. The spin yields between checks,
// and beside other busy programs a yield hands the core to one of them for a whole time slice:
// with two busy loops on a 2-core machine, bench:train's small CNN with batch norm trained at
// 84-90 images/s on two threads. So a side whose yield comes back late (LATE) sleeps at once for
// a number of calls, doubled each time that happens again and halved by each spin that keeps its
// core: it sleeps while the cores are taken and spins again once they are free (420-725 images/s
// in that test; idle, as fast as spinning on every call). Never spinning did as well under load
// but cost every call two wake-ups on an idle machine (a small add: 36-38 us against 10.5-11).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace loupe {

// When one side of the hand-over spins before it sleeps (see above).
class SpinPolicy {
 public:
  // True once `ready()` holds, false if it did not within SPIN (or the side does not spin now).
  template <typename Ready>
  bool spin_until(Ready ready) {
    if (skip_ > 0) {
      --skip_;
      return ready();
    }
    const auto until = Clock::now() + SPIN;
    while (!ready()) {
      const auto before = Clock::now();
      if (before >= until) return ready();
      std::this_thread::yield();
      if (Clock::now() - before > LATE) {
        backoff_ = std::min(backoff_ * 2, MAX_BACKOFF);
        skip_ = backoff_;
        return ready();
      }
    }
    // One spin that kept its core is weak evidence that the cores are free again: halve.
    backoff_ = std::max(backoff_ / 2, MIN_BACKOFF);
    return true;
  }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::microseconds SPIN{100};
  // A yield that takes this long gave the core to another thread for a time slice.
  static constexpr std::chrono::microseconds LATE{50};
  static constexpr unsigned MIN_BACKOFF = 16;
  static constexpr unsigned MAX_BACKOFF = 4096;
  unsigned backoff_ = MIN_BACKOFF;
  unsigned skip_ = 0;
};

class Executor {
 public:
  // Runs `work` on the executor thread and returns when it is done. Calls from several
  // JavaScript threads take turns.
  void run(const std::function<void()>& work) {
    std::unique_lock<std::mutex> turn(turn_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.store(false, std::memory_order_relaxed);
      job_.store(&work, std::memory_order_release);
    }
    wake_.notify_one();
    if (caller_spin_.spin_until([this] { return done_.load(std::memory_order_acquire); })) return;
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [this] { return done_.load(std::memory_order_acquire); });
  }

  // Never destroyed: the thread must outlive every caller, including workers ending at exit.
  static Executor& instance() {
    static Executor* executor = new Executor();
    return *executor;
  }

 private:
  Executor() : thread_([this] { loop(); }) { thread_.detach(); }

  void loop() {
    for (;;) {
      if (!executor_spin_.spin_until([this] { return job_.load(std::memory_order_acquire) != nullptr; })) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return job_.load(std::memory_order_acquire) != nullptr; });
      }
      (*job_.load(std::memory_order_acquire))();
      {
        // Under the mutex, so that a caller about to sleep sees the change or gets the notify.
        std::lock_guard<std::mutex> lock(mutex_);
        job_.store(nullptr, std::memory_order_relaxed);
        done_.store(true, std::memory_order_release);
      }
      finished_.notify_one();
    }
  }

  // The caller's is used under `turn_`, the executor's by its own thread only.
  SpinPolicy caller_spin_;
  SpinPolicy executor_spin_;
  std::mutex turn_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  std::atomic<const std::function<void()>*> job_{nullptr};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

inline void run_native(const std::function<void()>& work) { Executor::instance().run(work); }

}  // namespace loupe
