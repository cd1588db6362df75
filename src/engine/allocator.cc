#include "src/engine/allocator.h"

#include <cstdlib>  // defines __GLIBC__ under glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace locus {

void TuneAllocator() {
#if defined(__GLIBC__)
  // A fixed threshold also turns off glibc's adjustment, which raises it to the size of every
  // mapped block freed (up to 32 MB), after which blocks that size come from the heap.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}

}  // namespace locus
