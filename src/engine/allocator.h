// How the process's allocator hands memory back. The engine holds GiBs for hours while
// buffers of 1-30 MB come and go (a flush's batch, RocksDB's memtable blocks, a table's bucket
// array as it grows, a retrain's lists): glibc's default keeps such buffers in its heap once
// one of their size was freed, and their holes stay resident (bench/README.md, "Session of
// 2026-12-07, tenth": ~0.15 GiB less RSS between retrains at 10M events).
#pragma once

namespace locus {

// Serves allocations of 1 MB and more with their own mappings, given back when freed (glibc;
// elsewhere a no-op). Call once at the start of main, before threads start.
void TuneAllocator();

}  // namespace locus
