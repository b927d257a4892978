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
// step. Past that both sleep, so an idle engine costs nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace loupe {

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
    if (spin_until([this] { return done_.load(std::memory_order_acquire); })) return;
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [this] { return done_.load(std::memory_order_acquire); });
  }

  // Never destroyed: the thread must outlive every caller, including workers ending at exit.
  static Executor& instance() {
    static Executor* executor = new Executor();
    return *executor;
  }

 private:
  static constexpr std::chrono::microseconds SPIN{100};

  Executor() : thread_([this] { loop(); }) { thread_.detach(); }

  // True once `ready()` holds, false if SPIN passed first. Yields between checks, so that on a
  // busy machine the thread it waits for can have this core.
  template <typename Ready>
  static bool spin_until(Ready ready) {
    const auto until = std::chrono::steady_clock::now() + SPIN;
    while (!ready()) {
      if (std::chrono::steady_clock::now() >= until) return ready();
      std::this_thread::yield();
    }
    return true;
  }

  void loop() {
    for (;;) {
      if (!spin_until([this] { return job_.load(std::memory_order_acquire) != nullptr; })) {
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
