#include "bench/load/tools.h"
namespace locus::bench {}
namespace locus::bench {
int RoundTripTool(const Args&) { return 1; }
}  // namespace locus::bench
