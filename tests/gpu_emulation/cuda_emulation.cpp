// The fibers behind cuda_emulation.h: one per thread of the running block, each on its own stack,
// switched by a few instructions (x86-64 System V: the callee-saved registers and the stack
// pointer), so a block of 256 threads meeting at a barrier costs microseconds, not the
// milliseconds 256 OS threads take on two cores.
#include "tests/gpu_emulation/cuda_emulation.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#if !defined(__x86_64__)
#error "the GPU emulation's fiber switch is written for x86-64"
#endif

// trine_emu_switch(save, load): saves the callee-saved registers on the current stack and the
// stack pointer to *save, then resumes the stack at load the same way.
asm(R"(
  .text
  .globl trine_emu_switch
  .type trine_emu_switch, @function
trine_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size trine_emu_switch, .-trine_emu_switch
  .section .note.GNU-stack,"",@progbits
  .text
)");
extern "C" void trine_emu_switch(void** save, void* load);

namespace trine_emu {

namespace {

enum class State { runnable, at_warp, at_block, done };

constexpr std::size_t kStack = 256 * 1024;

struct Fiber {
  std::unique_ptr<char[]> stack{new char[kStack]};
  void* sp = nullptr;
  State state = State::done;
  uint64_t slot = 0;
};

std::vector<Fiber> fibers;
void* scheduler_sp = nullptr;
unsigned current = 0;
const std::function<void()>* job = nullptr;

void yield(State s) {
  fibers[current].state = s;
  trine_emu_switch(&fibers[current].sp, scheduler_sp);
}

[[noreturn]] void fiber_entry() {
  (*job)();
  yield(State::done);
  std::abort();  // a finished fiber is never resumed
}

// A fresh stack that "returns" into fiber_entry, as if it had been called: six zero registers,
// the entry address, then a zero return address at a 16-byte boundary.
void start(Fiber& f) {
  auto* top = reinterpret_cast<void**>((reinterpret_cast<uintptr_t>(f.stack.get() + kStack) & ~uintptr_t(15)));
  void** sp = top - 8;
  for (int i = 0; i < 6; ++i) sp[i] = nullptr;
  sp[6] = reinterpret_cast<void*>(&fiber_entry);
  sp[7] = nullptr;
  f.sp = sp;
  f.state = State::runnable;
}

// Resumes every thread whose barrier is complete: a warp whose live lanes all wait at a shuffle,
// else the block when every live thread waits at __syncthreads. False when none is.
bool release(unsigned threads) {
  bool any = false;
  for (unsigned w = 0; w < threads / 32; ++w) {
    bool all = true, some = false;
    for (unsigned t = 32 * w; t < 32 * w + 32; ++t) {
      if (fibers[t].state == State::done) continue;
      some = true;
      all = all && fibers[t].state == State::at_warp;
    }
    if (some && all) {
      for (unsigned t = 32 * w; t < 32 * w + 32; ++t)
        if (fibers[t].state == State::at_warp) fibers[t].state = State::runnable;
      any = true;
    }
  }
  if (any) return true;
  bool all = true, some = false;
  for (unsigned t = 0; t < threads; ++t) {
    if (fibers[t].state == State::done) continue;
    some = true;
    all = all && fibers[t].state == State::at_block;
  }
  if (!some || !all) return false;
  for (unsigned t = 0; t < threads; ++t)
    if (fibers[t].state == State::at_block) fibers[t].state = State::runnable;
  return true;
}

void run_block(unsigned threads) {
  for (unsigned t = 0; t < threads; ++t) start(fibers[t]);
  for (;;) {
    for (unsigned t = 0; t < threads; ++t) {
      if (fibers[t].state != State::runnable) continue;
      current = t;
      thread_idx = {t, 0, 0};
      trine_emu_switch(&scheduler_sp, fibers[t].sp);
    }
    bool finished = true;
    for (unsigned t = 0; t < threads; ++t) finished = finished && fibers[t].state == State::done;
    if (finished) return;
    if (!release(threads)) {
      std::fprintf(stderr, "GPU emulation: block (%u, %u) deadlocked: threads wait at different barriers\n", block_idx.x,
                   block_idx.y);
      std::abort();
    }
  }
}

}  // namespace

void launch(unsigned grid_x, unsigned grid_y, unsigned threads, const std::function<void()>& kernel) {
  if (threads == 0 || threads % 32 || threads > 1024) {
    std::fprintf(stderr, "GPU emulation: %u threads per block is not a multiple of 32 up to 1024\n", threads);
    std::abort();
  }
  if (fibers.size() < threads) fibers.resize(threads);
  block_dim = {threads, 1, 1};
  grid_dim = {grid_x, grid_y, 1};
  job = &kernel;
  for (unsigned by = 0; by < grid_y; ++by)
    for (unsigned bx = 0; bx < grid_x; ++bx) {
      block_idx = {bx, by, 0};
      run_block(threads);
    }
}

void sync_block() { yield(State::at_block); }
void sync_warp() { yield(State::at_warp); }
uint64_t& shuffle_slot(unsigned thread) { return fibers[thread].slot; }

}  // namespace trine_emu
