/// @file runtime.hpp
/// @brief A CUDA emulator for the gpu tests on a machine without a GPU: the part of the CUDA
/// runtime dapt calls (device memory, copies, streams, errors, kernel launches) with the kernels
/// run on the host. Every thread of a block is a fiber with its own stack (switched by a few
/// instructions on x86-64, switch.cpp; by ucontext elsewhere); blocks run
/// one after another. A fiber runs until it reaches a barrier (__syncthreads*) or a warp
/// collective (__shfl*_sync, __ballot_sync, __match_any_sync); the scheduler releases a barrier
/// when every thread of the block has reached it, and a warp collective when every lane its mask
/// names has. What a GPU would leave undefined is reported as a failed launch
/// (cudaErrorLaunchFailure, with the reason on stderr) instead of guessed at:
///  - a barrier that some threads of the block never reach (they returned, or wait elsewhere);
///  - a warp collective whose lanes disagree on the mask or the operation, or whose mask names a
///    lane that has exited, does not exist, or waits at another barrier;
///  - a launch configuration the device refuses (block over 1024 threads, grid.y over 65535,
///    dynamic shared memory over 48 KiB without cudaFuncSetAttribute, ...);
///  - a pointer argument of a kernel that is neither null nor inside device memory;
///  - copies and memsets outside a device allocation, or with the wrong direction.
/// Shared memory is filled with 0xff bytes (NaN, -1) when each block starts, so a read before
/// the write that the barrier should have ordered shows up in the results. Device memory is
/// host memory (256-byte aligned like cudaMalloc's, not rounded up), so ASan sees a kernel that
/// reads past its buffer. The scheduler runs a block's threads in index order, in reverse
/// order, or shuffled (DAPT_EMU_ORDER): a result that changes with the order is a race.
///
/// Not emulated: concurrency between blocks or streams (everything runs in launch order, at the
/// launch), timing, and the speed of anything. Launches are serialised by a process-wide lock.
#pragma once

#include <ucontext.h>
#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

// ------------------------------------------------------------------------------------------------
// Qualifiers: the kernels are plain host functions.
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
#define __restrict__
#define __grid_constant__
#define __align__(n) alignas(n)
#define __constant__

// ------------------------------------------------------------------------------------------------
// Types of the runtime API.
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorLaunchFailure = 719,
};
using cudaError = cudaError_t;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

enum cudaFuncAttribute {
  cudaFuncAttributeMaxDynamicSharedMemorySize = 8,
  cudaFuncAttributePreferredSharedMemoryCarveout = 9,
};

enum cudaDataType_t {
  CUDA_R_16F = 2,
  CUDA_R_32F = 0,
  CUDA_R_64F = 1,
  CUDA_R_16BF = 14,
};
using cudaDataType = cudaDataType_t;

struct CUstream_st {
  unsigned flags = 0;
};
using cudaStream_t = CUstream_st*;
inline constexpr unsigned cudaStreamDefault = 0u;
inline constexpr unsigned cudaStreamNonBlocking = 1u;

inline constexpr int warpSize = 32;

// Switching fibers: on x86-64 a few instructions (switch.cpp) instead of swapcontext, which
// makes a system call for the signal mask at every switch.
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define DAPT_EMU_ASAN 1
#else
#define DAPT_EMU_ASAN 0
#endif

#if defined(__x86_64__) && !defined(DAPT_EMU_UCONTEXT)
#define DAPT_EMU_ASM_SWITCH 1
/// Saves the callee-saved registers on the current stack, stores the stack pointer in *save,
/// and resumes the stack `to` (saved by an earlier call, or prepared by run_block).
extern "C" void dapt_emu_switch(void** save, void* to);
#else
#define DAPT_EMU_ASM_SWITCH 0
#endif

namespace dapt_emu {

/// The Hopper limits a launch is checked against (H100/H200, compute capability 9.0).
inline constexpr unsigned kMaxThreadsPerBlock = 1024;
inline constexpr unsigned kMaxGridY = 65535, kMaxGridZ = 65535;
inline constexpr unsigned kMaxBlockZ = 64;
inline constexpr std::size_t kDefaultDynamicShared = 48 * 1024;
inline constexpr std::size_t kMaxDynamicShared = 227 * 1024;
inline constexpr std::size_t kStackBytes = std::size_t{256} << 10;

// ------------------------------------------------------------------------------------------------
// State: errors and device memory.

struct State {
  std::mutex mutex;              // serialises launches, allocations and copies
  cudaError_t last = cudaSuccess;  // cudaGetLastError's error (not sticky: cleared when read)
  std::map<std::uintptr_t, std::size_t> allocations;  // device memory: base -> bytes
  std::map<const void*, std::size_t> max_dynamic_shared;  // cudaFuncSetAttribute
  int device = 0;
  std::uint64_t block_generation = 0;
};
inline State& state() {
  static State s;
  return s;
}

/// Prints why an emulated call failed and records the error for cudaGetLastError.
inline cudaError_t fail(cudaError_t e, const std::string& why) {
  std::fprintf(stderr, "[cuda-emu] %s\n", why.c_str());
  std::fflush(stderr);
  state().last = e;
  return e;
}

/// The allocation holding [p, p + bytes), or nullopt; `bytes` 0 accepts one past the end.
inline bool in_device_memory(const void* p, std::size_t bytes) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  auto& al = state().allocations;
  auto it = al.upper_bound(a);
  if (it == al.begin()) return false;
  --it;
  return a >= it->first && a + bytes <= it->first + it->second && (bytes > 0 || a <= it->first + it->second);
}

inline std::string pointer_str(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

// ------------------------------------------------------------------------------------------------
// Fibers and the block scheduler.

enum class Wait { kReady, kBarrier, kWarp, kDone };
enum class WarpOp { kNone, kShflXor, kShfl, kBallot, kMatchAny };
enum class BarrierOp { kPlain, kOr, kAnd, kCount };

struct Fiber {
#if DAPT_EMU_ASM_SWITCH
  void* sp = nullptr;  // saved stack pointer while switched out
#else
  ucontext_t ctx{};
#endif
  void* stack = nullptr;
  void* fake_stack = nullptr;  // ASan's, while switched out
  uint3 tid{};
  Wait wait = Wait::kReady;
  BarrierOp barrier_op = BarrierOp::kPlain;
  int predicate = 0;
  int barrier_result = 0;
  WarpOp warp_op = WarpOp::kNone;
  unsigned mask = 0;
  std::uint64_t value = 0;  // the lane's operand (bits)
  int arg = 0;              // lane mask or source lane
  int width = 32;
  std::uint64_t warp_result = 0;
};

struct Block {
  std::vector<Fiber>* fibers = nullptr;
  unsigned count = 0;
  unsigned current = 0;
#if DAPT_EMU_ASM_SWITCH
  void* scheduler_sp = nullptr;
#else
  ucontext_t scheduler{};
#endif
  const std::function<void()>* body = nullptr;
  std::string error;  // set by a fiber or the scheduler: the launch failed
  std::vector<unsigned char>* dynamic_shared = nullptr;
  std::vector<std::pair<void*, std::uint64_t>>* poisoned = nullptr;
  // ASan's view of the switches: the scheduler's stack, learnt at the first switch into a fiber.
  const void* scheduler_stack = nullptr;
  std::size_t scheduler_stack_bytes = 0;
  void* scheduler_fake_stack = nullptr;
};

/// The running block and the built-in variables of the running fiber (thread_local: a host
/// thread runs one launch at a time, and the launch lock keeps other threads out).
inline thread_local Block* g_block = nullptr;

}  // namespace dapt_emu

inline thread_local uint3 threadIdx{0, 0, 0};
inline thread_local uint3 blockIdx{0, 0, 0};
inline thread_local dim3 blockDim{1, 1, 1};
inline thread_local dim3 gridDim{1, 1, 1};

namespace dapt_emu {

inline Fiber& self() { return (*g_block->fibers)[g_block->current]; }

// ASan must be told when a fiber stack becomes the current one (else it takes the switch for a
// stack overflow): start_switch before each switch, finish_switch right after arriving.
inline void asan_leave_scheduler([[maybe_unused]] const Fiber& f) {
#if DAPT_EMU_ASAN
  __sanitizer_start_switch_fiber(&g_block->scheduler_fake_stack, f.stack, kStackBytes);
#endif
}
inline void asan_back_in_scheduler() {
#if DAPT_EMU_ASAN
  __sanitizer_finish_switch_fiber(g_block->scheduler_fake_stack, nullptr, nullptr);
#endif
}
/// `done`: the fiber will never run again (ASan frees its fake stack).
inline void asan_leave_fiber([[maybe_unused]] bool done) {
#if DAPT_EMU_ASAN
  __sanitizer_start_switch_fiber(done ? nullptr : &self().fake_stack, g_block->scheduler_stack,
                                 g_block->scheduler_stack_bytes);
#endif
}
inline void asan_arrived_in_fiber() {
#if DAPT_EMU_ASAN
  __sanitizer_finish_switch_fiber(self().fake_stack, &g_block->scheduler_stack, &g_block->scheduler_stack_bytes);
#endif
}

/// Back to the scheduler; returns when the scheduler resumes this fiber.
inline void yield_to_scheduler() {
  Fiber& f = self();
  asan_leave_fiber(false);
#if DAPT_EMU_ASM_SWITCH
  dapt_emu_switch(&f.sp, g_block->scheduler_sp);
#else
  swapcontext(&f.ctx, &g_block->scheduler);
#endif
  asan_arrived_in_fiber();
}

/// A fiber's first frame: runs the kernel, then hands control back for good.
inline void fiber_entry() {
  asan_arrived_in_fiber();
  (*g_block->body)();
  self().wait = Wait::kDone;
  asan_leave_fiber(true);
#if DAPT_EMU_ASM_SWITCH
  void* unused = nullptr;
  dapt_emu_switch(&unused, g_block->scheduler_sp);
  std::abort();  // never resumed
#endif
  // (ucontext: uc_link returns to the scheduler.)
}

inline std::string thread_str(const Fiber& f) {
  return "thread (" + std::to_string(f.tid.x) + "," + std::to_string(f.tid.y) + "," + std::to_string(f.tid.z) +
         ") of block (" + std::to_string(blockIdx.x) + "," + std::to_string(blockIdx.y) + "," +
         std::to_string(blockIdx.z) + ")";
}

inline const char* op_name(WarpOp op) {
  switch (op) {
    case WarpOp::kShflXor: return "__shfl_xor_sync";
    case WarpOp::kShfl: return "__shfl_sync";
    case WarpOp::kBallot: return "__ballot_sync";
    case WarpOp::kMatchAny: return "__match_any_sync";
    default: return "?";
  }
}

/// Resolves the collective of warp `w` if every lane it needs has arrived. Returns true when it
/// released lanes; sets `error` when the collective can never complete.
inline bool resolve_warp(std::vector<Fiber>& fs, unsigned count, unsigned w, std::string& error) {
  const unsigned first = w * 32, last = std::min(count, first + 32);
  // The lanes waiting at a collective; all must agree on the operation and the mask.
  int leader = -1;
  for (unsigned i = first; i < last; ++i)
    if (fs[i].wait == Wait::kWarp) {
      leader = static_cast<int>(i);
      break;
    }
  if (leader < 0) return false;
  const Fiber& L = fs[static_cast<unsigned>(leader)];
  for (unsigned i = first; i < last; ++i) {
    const Fiber& f = fs[i];
    const bool named = (L.mask >> (i - first)) & 1u;
    if (f.wait == Wait::kWarp && (f.mask != L.mask || f.warp_op != L.warp_op)) {
      error = std::string(op_name(f.warp_op)) + " of " + thread_str(f) + " (mask " + std::to_string(f.mask) +
              ") meets " + op_name(L.warp_op) + " of " + thread_str(L) + " (mask " + std::to_string(L.mask) +
              "): lanes of a warp must run the same collective with the same mask";
      return false;
    }
    if (named && f.wait != Wait::kWarp) {
      error = std::string(op_name(L.warp_op)) + " of " + thread_str(L) + " names lane " + std::to_string(i - first) +
              ", which " + (f.wait == Wait::kDone ? "has exited" : "waits at __syncthreads");
      return false;
    }
    if (f.wait == Wait::kWarp && !named) {
      error = std::string(op_name(f.warp_op)) + " of " + thread_str(f) + ": the mask leaves out the calling lane";
      return false;
    }
  }
  for (unsigned lane = last - first; lane < 32; ++lane)
    if ((L.mask >> lane) & 1u) {
      error = std::string(op_name(L.warp_op)) + " of " + thread_str(L) + " names lane " + std::to_string(lane) +
              ", which does not exist (the block has " + std::to_string(count) + " threads)";
      return false;
    }
  for (unsigned i = first; i < last; ++i) {
    Fiber& f = fs[i];
    if (f.wait != Wait::kWarp) continue;
    const unsigned lane = i - first;
    switch (f.warp_op) {
      case WarpOp::kShflXor:
      case WarpOp::kShfl: {
        const unsigned width = static_cast<unsigned>(f.width);
        if (width == 0 || width > 32 || (width & (width - 1)) != 0) {
          error = std::string(op_name(f.warp_op)) + " of " + thread_str(f) + ": width " + std::to_string(f.width) +
                  " is not a power of two up to 32";
          return false;
        }
        const unsigned base = lane & ~(width - 1);
        unsigned src = 0;
        if (f.warp_op == WarpOp::kShflXor) {
          src = lane ^ static_cast<unsigned>(f.arg);
          if (src >= base + width) src = lane;  // a later group: the own value (CUDA's rule)
          src &= 31u;
        } else {
          src = base + (static_cast<unsigned>(f.arg) & (width - 1));
        }
        if (!((f.mask >> src) & 1u) || first + src >= last) {
          error = std::string(op_name(f.warp_op)) + " of " + thread_str(f) + " reads lane " + std::to_string(src) +
                  ", which is not in the mask";
          return false;
        }
        f.warp_result = fs[first + src].value;
        break;
      }
      case WarpOp::kBallot: {
        std::uint64_t bits = 0;
        for (unsigned j = first; j < last; ++j)
          if (fs[j].wait == Wait::kWarp && fs[j].value != 0) bits |= 1ull << (j - first);
        f.warp_result = bits;
        break;
      }
      case WarpOp::kMatchAny: {
        std::uint64_t bits = 0;
        for (unsigned j = first; j < last; ++j)
          if (fs[j].wait == Wait::kWarp && fs[j].value == f.value) bits |= 1ull << (j - first);
        f.warp_result = bits;
        break;
      }
      default: break;
    }
  }
  for (unsigned i = first; i < last; ++i)
    if (fs[i].wait == Wait::kWarp) fs[i].wait = Wait::kReady;
  return true;
}

/// Releases __syncthreads when every thread waits there. Returns true when it did; sets `error`
/// when some threads wait there and others have exited.
inline bool resolve_barrier(std::vector<Fiber>& fs, unsigned count, std::string& error) {
  unsigned waiting = 0, done = 0;
  int exited = -1, waiter = -1;
  for (unsigned i = 0; i < count; ++i) {
    if (fs[i].wait == Wait::kBarrier) {
      ++waiting;
      if (waiter < 0) waiter = static_cast<int>(i);
    } else if (fs[i].wait == Wait::kDone) {
      ++done;
      if (exited < 0) exited = static_cast<int>(i);
    }
  }
  if (waiting == 0) return false;
  if (waiting + done != count) return false;  // some wait at a warp collective
  if (done > 0) {
    error = "__syncthreads reached by " + std::to_string(waiting) + " of " + std::to_string(count) +
            " threads: " + thread_str(fs[static_cast<unsigned>(exited)]) + " has returned while " +
            thread_str(fs[static_cast<unsigned>(waiter)]) + " waits";
    return false;
  }
  const BarrierOp op = fs[static_cast<unsigned>(waiter)].barrier_op;
  int any = 0, all = 1, n = 0;
  for (unsigned i = 0; i < count; ++i) {
    if (fs[i].barrier_op != op) {
      error = "threads of one block wait at different kinds of __syncthreads (plain, _or, _and, _count)";
      return false;
    }
    any |= fs[i].predicate != 0;
    all &= fs[i].predicate != 0;
    n += fs[i].predicate != 0;
  }
  for (unsigned i = 0; i < count; ++i) {
    fs[i].barrier_result = op == BarrierOp::kOr ? any : op == BarrierOp::kAnd ? all : n;
    fs[i].wait = Wait::kReady;
  }
  return true;
}

/// The fibers' stacks, kept for the next launch on this host thread. Under ASan a stack keeps
/// the redzones of frames that never returned: a finished fiber leaves only fiber_entry's frame
/// at the top (kTopBytes), a fiber of a block that failed leaves whatever it was in (`dirty`:
/// the whole stack is cleared before its next use).
struct StackPool {
  static constexpr std::size_t kTopBytes = 4096;
  std::vector<void*> stacks;
  std::vector<char> dirty;
  ~StackPool() {
    for (void* s : stacks) munmap(s, kStackBytes);
  }
  void* get(unsigned i) {
    while (stacks.size() <= i) {
      void* s = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (s == MAP_FAILED) {
        std::fprintf(stderr, "[cuda-emu] cannot map a fiber stack\n");
        std::abort();
      }
      stacks.push_back(s);
      dirty.push_back(0);
    }
    return stacks[i];
  }
#if DAPT_EMU_ASAN
  void clear_redzones(unsigned i) {
    if (dirty[i]) {
      __asan_unpoison_memory_region(stacks[i], kStackBytes);
      dirty[i] = 0;
    } else {
      __asan_unpoison_memory_region(static_cast<char*>(stacks[i]) + kStackBytes - kTopBytes, kTopBytes);
    }
  }
#endif
};

/// The order in which the scheduler runs the ready threads of a block: DAPT_EMU_ORDER=forward
/// (the default), reverse, or shuffle (a fixed permutation per block size, seeded by
/// DAPT_EMU_SEED). A kernel whose result depends on the order has a race a barrier should close.
inline const std::vector<unsigned>& schedule_order(unsigned count) {
  static thread_local std::map<unsigned, std::vector<unsigned>> orders;
  auto& v = orders[count];
  if (v.size() == count) return v;
  v.resize(count);
  for (unsigned i = 0; i < count; ++i) v[i] = i;
  const char* env = std::getenv("DAPT_EMU_ORDER");
  const std::string mode = env ? env : "forward";
  if (mode == "reverse") {
    std::reverse(v.begin(), v.end());
  } else if (mode == "shuffle") {
    const char* seed = std::getenv("DAPT_EMU_SEED");
    std::uint64_t x = (seed ? std::strtoull(seed, nullptr, 10) : 1) * 0x9e3779b97f4a7c15ull + count;
    for (unsigned i = count; i > 1; --i) {  // Fisher-Yates on a splitmix64 stream
      x += 0x9e3779b97f4a7c15ull;
      std::uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      z ^= z >> 31;
      std::swap(v[i - 1], v[static_cast<unsigned>(z % i)]);
    }
  } else if (mode != "forward") {
    std::fprintf(stderr, "[cuda-emu] DAPT_EMU_ORDER=%s: expected forward, reverse or shuffle\n", mode.c_str());
    std::abort();
  }
  return v;
}

/// Runs one block of `threads` threads to completion; returns the error that ended it, if any.
inline std::string run_block(const dim3& block, const std::function<void()>& body, std::vector<Fiber>& fs,
                             std::vector<unsigned char>& dynamic_shared,
                             std::vector<std::pair<void*, std::uint64_t>>& poisoned) {
  static thread_local StackPool pool;
  const unsigned count = block.x * block.y * block.z;
  Block b;
  b.fibers = &fs;
  b.count = count;
  b.body = &body;
  b.dynamic_shared = &dynamic_shared;
  b.poisoned = &poisoned;
  std::fill(dynamic_shared.begin(), dynamic_shared.end(), static_cast<unsigned char>(0xff));
  ++state().block_generation;
  fs.assign(count, Fiber{});
  for (unsigned i = 0; i < count; ++i) {
    Fiber& f = fs[i];
    f.tid = uint3{i % block.x, (i / block.x) % block.y, i / (block.x * block.y)};
    f.stack = pool.get(i);
#if DAPT_EMU_ASAN
    // The last fiber on this stack never returned from its frames: clear their redzones.
    pool.clear_redzones(i);
#endif
#if DAPT_EMU_ASM_SWITCH
    // The frame dapt_emu_switch pops: six callee-saved registers, then fiber_entry as the return
    // address, above it a dummy return address of fiber_entry itself (16-byte ABI alignment).
    auto top = (reinterpret_cast<std::uintptr_t>(f.stack) + kStackBytes) & ~std::uintptr_t{15};
    auto* frame = reinterpret_cast<void**>(top - 64);
    for (int r = 0; r < 6; ++r) frame[r] = nullptr;
    frame[6] = reinterpret_cast<void*>(&fiber_entry);
    frame[7] = nullptr;
    f.sp = frame;
#else
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack;
    f.ctx.uc_stack.ss_size = kStackBytes;
    f.ctx.uc_link = &b.scheduler;
    makecontext(&f.ctx, fiber_entry, 0);
#endif
  }
  Block* const outer = g_block;
  g_block = &b;
  std::string error;
  const std::vector<unsigned>& order = schedule_order(count);
  for (;;) {
    bool ran = false;
    for (unsigned o = 0; o < count && b.error.empty(); ++o) {
      const unsigned i = order[o];
      if (fs[i].wait != Wait::kReady) continue;
      b.current = i;
      threadIdx = fs[i].tid;
      asan_leave_scheduler(fs[i]);
#if DAPT_EMU_ASM_SWITCH
      dapt_emu_switch(&b.scheduler_sp, fs[i].sp);
#else
      swapcontext(&b.scheduler, &fs[i].ctx);
#endif
      asan_back_in_scheduler();
      ran = true;
    }
    if (!b.error.empty()) {
      error = b.error;
      break;
    }
    if (ran) continue;
    bool all_done = true;
    for (unsigned i = 0; i < count; ++i) all_done = all_done && fs[i].wait == Wait::kDone;
    if (all_done) break;
    bool released = false;
    for (unsigned w = 0; w * 32 < count && error.empty(); ++w) released = resolve_warp(fs, count, w, error) || released;
    if (!error.empty()) break;
    if (released) continue;
    if (resolve_barrier(fs, count, error)) continue;
    if (error.empty()) error = "deadlock: no thread of the block can go on (a warp collective or __syncthreads "
                               "that not every thread it needs reaches)";
    break;
  }
  g_block = outer;
  if (!error.empty())
    for (unsigned i = 0; i < count; ++i) pool.dirty[i] = 1;  // fibers left mid-kernel
  return error;
}

// ------------------------------------------------------------------------------------------------
// Launches.

/// The <<<grid, block, shared, stream>>> part of a launch.
struct LaunchConfig {
  dim3 grid, block;
  std::size_t shared = 0;
  cudaStream_t stream = nullptr;
  LaunchConfig(dim3 g, dim3 b, std::size_t s = 0, cudaStream_t st = nullptr) : grid(g), block(b), shared(s), stream(st) {}
};

inline cudaError_t check_config(const LaunchConfig& c, const void* kernel, const char* name) {
  const std::string where = std::string("launch of ") + name + ": ";
  const unsigned long long threads = 1ull * c.block.x * c.block.y * c.block.z;
  if (c.grid.x == 0 || c.grid.y == 0 || c.grid.z == 0 || threads == 0)
    return fail(cudaErrorInvalidConfiguration, where + "an empty grid or block");
  if (threads > kMaxThreadsPerBlock || c.block.z > kMaxBlockZ)
    return fail(cudaErrorInvalidConfiguration, where + "a block of " + std::to_string(c.block.x) + "x" +
                                                   std::to_string(c.block.y) + "x" + std::to_string(c.block.z) +
                                                   " threads");
  if (c.grid.x > 0x7fffffffu || c.grid.y > kMaxGridY || c.grid.z > kMaxGridZ)
    return fail(cudaErrorInvalidConfiguration, where + "a grid of " + std::to_string(c.grid.x) + "x" +
                                                   std::to_string(c.grid.y) + "x" + std::to_string(c.grid.z));
  std::size_t limit = kDefaultDynamicShared;
  if (auto it = state().max_dynamic_shared.find(kernel); it != state().max_dynamic_shared.end()) limit = it->second;
  if (c.shared > limit)
    return fail(cudaErrorInvalidValue, where + std::to_string(c.shared) + " bytes of dynamic shared memory, over the " +
                                           std::to_string(limit) + " allowed");
  return cudaSuccess;
}

/// Checks a kernel argument: a pointer must be null or point into device memory.
template <class P>
bool check_argument(const P& p, std::size_t index, const char* name) {
  if constexpr (std::is_pointer_v<P>) {
    if (p != nullptr && !in_device_memory(static_cast<const void*>(p), 0)) {
      fail(cudaErrorInvalidValue, std::string("launch of ") + name + ": argument " + std::to_string(index) +
                                      " (" + pointer_str(static_cast<const void*>(p)) +
                                      ") points outside device memory");
      return false;
    }
  }
  return true;
}

/// Runs kernel `k` with `args` on every thread of every block of `c`, now. Reports its errors
/// through cudaPeekAtLastError as a real launch would.
template <class... P, class... A>
void launch(const LaunchConfig& c, void (*k)(P...), const char* name, A&&... args) {
  static_assert(sizeof...(P) == sizeof...(A), "kernel launched with the wrong number of arguments");
  std::lock_guard<std::mutex> lock(state().mutex);
  if (check_config(c, reinterpret_cast<const void*>(k), name) != cudaSuccess) return;
  std::tuple<std::remove_cvref_t<P>...> params(std::forward<A>(args)...);
  bool ok = true;
  std::apply([&](const auto&... p) {
    std::size_t i = 0;
    ((ok = check_argument(p, i++, name) && ok), ...);
  }, params);
  if (!ok) return;
  const std::function<void()> body = [&] {
    auto copy = params;  // each thread gets its own parameters, as on the device
    std::apply(k, copy);
  };
  std::vector<Fiber> fibers;
  // Exactly the bytes asked for (malloc aligns to 16): ASan sees a read past the end.
  std::vector<unsigned char> dynamic_shared(c.shared);
  std::vector<std::pair<void*, std::uint64_t>> poisoned;
  const dim3 saved_block = blockDim, saved_grid = gridDim;
  const uint3 saved_bidx = blockIdx, saved_tidx = threadIdx;
  blockDim = c.block;
  gridDim = c.grid;
  std::string error;
  for (unsigned z = 0; z < c.grid.z && error.empty(); ++z)
    for (unsigned y = 0; y < c.grid.y && error.empty(); ++y)
      for (unsigned x = 0; x < c.grid.x && error.empty(); ++x) {
        blockIdx = uint3{x, y, z};
        error = run_block(c.block, body, fibers, dynamic_shared, poisoned);
      }
  blockDim = saved_block;
  gridDim = saved_grid;
  blockIdx = saved_bidx;
  threadIdx = saved_tidx;
  if (!error.empty()) fail(cudaErrorLaunchFailure, std::string(name) + ": " + error);
}

/// The block's dynamic shared memory (extern __shared__), 16-byte aligned.
inline void* dynamic_shared() { return g_block->dynamic_shared->data(); }

/// Fills a __shared__ variable with 0xff bytes the first time a thread of the block meets it.
inline void poison_shared(void* p, std::size_t bytes) {
  auto& seen = *g_block->poisoned;
  const std::uint64_t gen = state().block_generation;
  for (auto& [q, g] : seen)
    if (q == p) {
      if (g != gen) {
        g = gen;
        std::memset(p, 0xff, bytes);
      }
      return;
    }
  seen.emplace_back(p, gen);
  std::memset(p, 0xff, bytes);
}

// ------------------------------------------------------------------------------------------------
// Barriers and warp collectives (called by the fibers).

inline int barrier(BarrierOp op, int predicate) {
  Fiber& f = self();
  f.wait = Wait::kBarrier;
  f.barrier_op = op;
  f.predicate = predicate;
  yield_to_scheduler();
  return self().barrier_result;
}

template <class T>
std::uint64_t to_bits(T v) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "warp collectives move at most 8 bytes");
  std::uint64_t b = 0;
  std::memcpy(&b, &v, sizeof v);
  return b;
}
template <class T>
T from_bits(std::uint64_t b) {
  T v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

inline std::uint64_t warp_collective(WarpOp op, unsigned mask, std::uint64_t value, int arg, int width) {
  Fiber& f = self();
  f.wait = Wait::kWarp;
  f.warp_op = op;
  f.mask = mask;
  f.value = value;
  f.arg = arg;
  f.width = width;
  yield_to_scheduler();
  Fiber& g = self();
  g.warp_op = WarpOp::kNone;
  return g.warp_result;
}

}  // namespace dapt_emu

inline void __syncthreads() { dapt_emu::barrier(dapt_emu::BarrierOp::kPlain, 0); }
inline int __syncthreads_or(int p) { return dapt_emu::barrier(dapt_emu::BarrierOp::kOr, p); }
inline int __syncthreads_and(int p) { return dapt_emu::barrier(dapt_emu::BarrierOp::kAnd, p); }
inline int __syncthreads_count(int p) { return dapt_emu::barrier(dapt_emu::BarrierOp::kCount, p); }

template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  return dapt_emu::from_bits<T>(
      dapt_emu::warp_collective(dapt_emu::WarpOp::kShflXor, mask, dapt_emu::to_bits(v), lane_mask, width));
}
template <class T>
T __shfl_sync(unsigned mask, T v, int src_lane, int width = 32) {
  return dapt_emu::from_bits<T>(
      dapt_emu::warp_collective(dapt_emu::WarpOp::kShfl, mask, dapt_emu::to_bits(v), src_lane, width));
}
inline unsigned __ballot_sync(unsigned mask, int predicate) {
  return static_cast<unsigned>(
      dapt_emu::warp_collective(dapt_emu::WarpOp::kBallot, mask, predicate != 0 ? 1u : 0u, 0, 32));
}
template <class T>
unsigned __match_any_sync(unsigned mask, T v) {
  return static_cast<unsigned>(dapt_emu::warp_collective(dapt_emu::WarpOp::kMatchAny, mask, dapt_emu::to_bits(v), 0, 32));
}

// ------------------------------------------------------------------------------------------------
// Atomics (those the kernels use): fibers switch only at barriers and collectives, so a
// read-modify-write is atomic.
template <class T>
T atomicAdd(T* p, T v) {
  const T old = *p;
  *p = old + v;
  return old;
}
template <class T>
T atomicMin(T* p, T v) {
  const T old = *p;
  *p = std::min(old, v);
  return old;
}

// ------------------------------------------------------------------------------------------------
// Intrinsics: x86-64 SSE arithmetic rounds each operation to nearest even, as the _rn forms do.
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return std::sqrt(a); }
inline float __double2float_rn(double a) { return static_cast<float>(a); }
inline float __uint_as_float(unsigned u) { return std::bit_cast<float>(u); }
inline float __int_as_float(int u) { return std::bit_cast<float>(u); }
inline unsigned __float_as_uint(float f) { return std::bit_cast<unsigned>(f); }
inline int __float_as_int(float f) { return std::bit_cast<int>(f); }
inline int __popc(unsigned x) { return std::popcount(x); }
inline int __popcll(unsigned long long x) { return std::popcount(x); }
inline unsigned __umulhi(unsigned a, unsigned b) {
  return static_cast<unsigned>((static_cast<unsigned long long>(a) * b) >> 32);
}
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
  return static_cast<unsigned long long>((static_cast<unsigned __int128>(a) * b) >> 64);
}
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
using std::isfinite;
using std::isinf;
using std::isnan;

// ------------------------------------------------------------------------------------------------
// The runtime API.

inline const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}
inline const char* cudaGetErrorString(cudaError_t e) {
  return e == cudaSuccess ? "no error" : e == cudaErrorLaunchFailure ? "unspecified launch failure (emulated)"
                                                                      : "emulated CUDA error";
}

inline cudaError_t cudaGetLastError() {
  std::lock_guard<std::mutex> lock(dapt_emu::state().mutex);
  const cudaError_t e = dapt_emu::state().last;
  dapt_emu::state().last = cudaSuccess;
  return e;
}
inline cudaError_t cudaPeekAtLastError() {
  std::lock_guard<std::mutex> lock(dapt_emu::state().mutex);
  return dapt_emu::state().last;
}

/// DAPT_EMU_DEVICES=0 emulates a machine without a device.
inline cudaError_t cudaGetDeviceCount(int* n) {
  const char* env = std::getenv("DAPT_EMU_DEVICES");
  *n = env ? std::atoi(env) : 1;
  return *n > 0 ? cudaSuccess : cudaErrorNoDevice;
}
inline cudaError_t cudaSetDevice(int d) {
  int n = 0;
  cudaGetDeviceCount(&n);
  if (d < 0 || d >= n) return dapt_emu::fail(cudaErrorInvalidDevice, "cudaSetDevice(" + std::to_string(d) + ")");
  dapt_emu::state().device = d;
  return cudaSuccess;
}
inline cudaError_t cudaGetDevice(int* d) {
  *d = dapt_emu::state().device;
  return cudaSuccess;
}
inline cudaError_t cudaDeviceSynchronize() { return cudaPeekAtLastError(); }

/// The fields of cudaDeviceProp that dapt reads, for the emulated device (an sm_90 part).
struct cudaDeviceProp {
  char name[256];
  std::size_t totalGlobalMem;
  int major;
  int minor;
  int multiProcessorCount;
};
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int d) {
  int n = 0;
  cudaGetDeviceCount(&n);
  if (d < 0 || d >= n) return dapt_emu::fail(cudaErrorInvalidDevice, "cudaGetDeviceProperties(" + std::to_string(d) + ")");
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "%s", "dapt CUDA emulator");
  prop->totalGlobalMem = std::size_t{80} << 30;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 132;
  return cudaSuccess;
}
inline cudaError_t cudaDriverGetVersion(int* v) {
  *v = 13000;
  return cudaSuccess;
}

inline cudaError_t cudaMalloc(void** p, std::size_t bytes) {
  std::lock_guard<std::mutex> lock(dapt_emu::state().mutex);
  *p = nullptr;
  if (bytes == 0) return cudaSuccess;
  // 256-byte aligned as cudaMalloc's, and exactly `bytes` long, so that ASan's redzone starts
  // right after the last byte (cudaMalloc would round up and hide a short overrun).
  void* q = nullptr;
  if (posix_memalign(&q, 256, bytes) != 0 || !q)
    return dapt_emu::fail(cudaErrorMemoryAllocation, "cudaMalloc of " + std::to_string(bytes) + " bytes");
  // Fresh device memory holds whatever the last user left: 0xa5 bytes, never zeros by luck.
  std::memset(q, 0xa5, bytes);
  dapt_emu::state().allocations[reinterpret_cast<std::uintptr_t>(q)] = bytes;
  *p = q;
  return cudaSuccess;
}
template <class T>
cudaError_t cudaMalloc(T** p, std::size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(p), bytes);
}
inline cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  std::lock_guard<std::mutex> lock(dapt_emu::state().mutex);
  auto& al = dapt_emu::state().allocations;
  auto it = al.find(reinterpret_cast<std::uintptr_t>(p));
  if (it == al.end())
    return dapt_emu::fail(cudaErrorInvalidDevicePointer, "cudaFree(" + dapt_emu::pointer_str(p) +
                                                              "): not the start of a device allocation");
  al.erase(it);
  std::free(p);
  return cudaSuccess;
}
inline cudaError_t cudaMallocAsync(void** p, std::size_t bytes, cudaStream_t) { return cudaMalloc(p, bytes); }
template <class T>
cudaError_t cudaMallocAsync(T** p, std::size_t bytes, cudaStream_t s) {
  return cudaMallocAsync(reinterpret_cast<void**>(p), bytes, s);
}
inline cudaError_t cudaFreeAsync(void* p, cudaStream_t) { return cudaFree(p); }

inline cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return cudaSuccess;
  std::lock_guard<std::mutex> lock(dapt_emu::state().mutex);
  const bool dst_dev = dapt_emu::in_device_memory(dst, bytes), src_dev = dapt_emu::in_device_memory(src, bytes);
  const bool want_dst = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool want_src = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (kind == cudaMemcpyDefault) {
    // Either side may be either; a range that starts in device memory must end there.
    if ((!dst_dev && dapt_emu::in_device_memory(dst, 0)) || (!src_dev && dapt_emu::in_device_memory(src, 0)))
      return dapt_emu::fail(cudaErrorInvalidValue, "cudaMemcpy: a range runs past its device allocation");
  } else if (dst_dev != want_dst || src_dev != want_src) {
    return dapt_emu::fail(cudaErrorInvalidValue,
                          "cudaMemcpy of " + std::to_string(bytes) + " bytes, kind " + std::to_string(kind) +
                              ": destination " + dapt_emu::pointer_str(dst) + (dst_dev ? " is" : " is not") +
                              " device memory, source " + dapt_emu::pointer_str(src) + (src_dev ? " is" : " is not") + " device memory");
  }
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                                   cudaStream_t = nullptr) {
  return cudaMemcpy(dst, src, bytes, kind);
}
inline cudaError_t cudaMemset(void* p, int byte, std::size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  std::lock_guard<std::mutex> lock(dapt_emu::state().mutex);
  if (!dapt_emu::in_device_memory(p, bytes))
    return dapt_emu::fail(cudaErrorInvalidValue, "cudaMemset of " + std::to_string(bytes) + " bytes at " +
                                                     dapt_emu::pointer_str(p) + ": not inside one device allocation");
  std::memset(p, byte, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* p, int byte, std::size_t bytes, cudaStream_t = nullptr) {
  return cudaMemset(p, byte, bytes);
}

inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned flags) {
  *s = new CUstream_st{flags};
  return cudaSuccess;
}
inline cudaError_t cudaStreamCreate(cudaStream_t* s) { return cudaStreamCreateWithFlags(s, cudaStreamDefault); }
inline cudaError_t cudaStreamDestroy(cudaStream_t s) {
  delete s;
  return cudaSuccess;
}
/// Launches ran when they were made; a synchronisation reports what failed since.
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaPeekAtLastError(); }

inline cudaError_t cudaFuncSetAttribute(const void* kernel, cudaFuncAttribute attr, int value) {
  std::lock_guard<std::mutex> lock(dapt_emu::state().mutex);
  if (attr == cudaFuncAttributeMaxDynamicSharedMemorySize) {
    if (value < 0 || static_cast<std::size_t>(value) > dapt_emu::kMaxDynamicShared)
      return dapt_emu::fail(cudaErrorInvalidValue,
                            "cudaFuncSetAttribute: " + std::to_string(value) + " bytes of dynamic shared memory");
    dapt_emu::state().max_dynamic_shared[kernel] = static_cast<std::size_t>(value);
  }
  return cudaSuccess;
}
template <class... P>
cudaError_t cudaFuncSetAttribute(void (*kernel)(P...), cudaFuncAttribute attr, int value) {
  return cudaFuncSetAttribute(reinterpret_cast<const void*>(kernel), attr, value);
}
