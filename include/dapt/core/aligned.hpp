/// @file aligned.hpp
/// @brief `CacheAlignedAllocator`, a std::allocator whose storage starts on a 64-byte cache line,
/// and `AlignedVector`: for arrays that SIMD kernels stream (vector indexes), laid out as in the
/// 64-byte aligned sections of dapt's index files.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace dapt {

template <class T>
struct CacheAlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  CacheAlignedAllocator() noexcept = default;
  template <class U>
  CacheAlignedAllocator(const CacheAlignedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, kAlign); }
  template <class U>
  friend bool operator==(const CacheAlignedAllocator&, const CacheAlignedAllocator<U>&) noexcept {
    return true;
  }
};

/// A std::vector whose data() is 64-byte aligned.
template <class T>
using AlignedVector = std::vector<T, CacheAlignedAllocator<T>>;

}  // namespace dapt
