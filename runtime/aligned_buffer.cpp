#include "runtime/aligned_buffer.h"

#include <sys/mman.h>

#include <cstring>
#include <new>

namespace trine {

namespace {

constexpr std::size_t kLine = 64;
constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

}  // namespace

// Decode streams every weight once per token: on 4 KiB pages that is a TLB miss and a page walk
// every 4 KiB of every matrix, which huge pages remove. Linux only backs madvised ranges with huge
// pages when they are 2 MiB aligned, so large blocks are aligned and sized to whole huge pages.
void* allocate_zeroed(std::size_t bytes) {
  const bool huge = bytes >= kHugePage;
  const std::size_t align = huge ? kHugePage : kLine;
  const std::size_t size = round_up(bytes, align);
  void* p = std::aligned_alloc(align, size);
  if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  if (huge) ::madvise(p, size, MADV_HUGEPAGE);  // advisory: without THP the pages stay small
#endif
  std::memset(p, 0, size);
  return p;
}

}  // namespace trine
