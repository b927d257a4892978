// The one native thread that runs every parallel kernel of this addon.
//
// Why: OpenMP (oneDNN's threading here) keeps a pool of threads per thread that starts a
// parallel region, and tears it down when that thread exits. Node's worker threads (Loupe's
// engine and gradient workers in browser mode and the CLI) can be terminated at any moment, and a
// worker that had started parallel regions then takes the whole process down with it
// (segmentation fault, reproduced with worker.terminate()). Running the kernels on a thread that
// lives as long as the process keeps every OpenMP pool out of the workers' lifetimes; the calling
// JavaScript thread waits, as it would for any synchronous kernel.
#pragma once

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
    std::unique_lock<std::mutex> lock(mutex_);
    job_ = &work;
    done_ = false;
    wake_.notify_one();
    finished_.wait(lock, [this] { return done_; });
  }

  // Never destroyed: the thread must outlive every caller, including workers ending at exit.
  static Executor& instance() {
    static Executor* executor = new Executor();
    return *executor;
  }

 private:
  Executor() : thread_([this] { loop(); }) { thread_.detach(); }

  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return job_ != nullptr; });
      (*job_)();
      job_ = nullptr;
      done_ = true;
      finished_.notify_one();
    }
  }

  std::mutex turn_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  const std::function<void()>* job_ = nullptr;
  bool done_ = false;
  std::thread thread_;
};

inline void run_native(const std::function<void()>& work) { Executor::instance().run(work); }

}  // namespace loupe
