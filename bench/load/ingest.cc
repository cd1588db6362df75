#include "bench/load/tools.h"
namespace locus::bench {}
namespace locus::bench {
int IngestTool(const Args&) { return 1; }
}  // namespace locus::bench
