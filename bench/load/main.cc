// locus_load: end-to-end load tools (run by bench/run; benchmarks, never tests).
//
//   locus_load ingest    [--events N] [--places N] [--users N] [--partitions N]
//   locus_load answer    [--places N] [--users N] [--activities N] [--events N] [--queries N]
//   locus_load state     [--events N] [--places N] [--users N] [--keep DIR]  (memory, restart)
//   locus_load reopen    --from DIR [--repeat N] [--queries N]      (restart of a kept state)
//   locus_load retrain   [--users N] [--places N] [--pairs N] [--factors N] [--iterations N]
//                        [--threads N] [--cg-steps N] [--reference-iterations N]
//   locus_load roundtrip [--rate R] [--ingest-rate R] [--seconds S] [--probes N] ...
//   locus_load split     [--places N] [--users N] [--events N] [--partitions N] [--instances N]
//   locus_load heap      [--events N] [--every N] [--places N] [--users N] [--activities N]
//
// Every tool also takes --seed S and --categories FILE (the check-in file whose column 4
// names the activities; default ../shared/data/foursquare_nyc_ipcm.tsv.xz, read in place).
// Each prints one JSON line on stdout and a readable summary on stderr.
#include "bench/load/tools.h"
#include "src/engine/allocator.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  using namespace locus::bench;
  locus::TuneAllocator();  // as the engine's binary does
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: %s ingest|answer|state|reopen|retrain|roundtrip|split|heap [--name value ...]\n",
        argv[0]);
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  const Args args(argc, argv, 2);
  const std::string tool = argv[1];
  if (tool == "ingest") return IngestTool(args);
  if (tool == "answer") return AnswerTool(args);
  if (tool == "state") return StateTool(args);
  if (tool == "reopen") return ReopenTool(args);
  if (tool == "retrain") return RetrainTool(args);
  if (tool == "roundtrip") return RoundTripTool(args);
  if (tool == "split") return SplitTool(args);
  if (tool == "heap") return HeapTool(args);
  std::fprintf(stderr, "unknown tool %s\n", tool.c_str());
  return 2;
}
