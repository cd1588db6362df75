// The end-to-end load tools (issue 6), one function per measurement; each prints one JSON
// line on stdout (what bench/run collects) and a readable summary on stderr.
#pragma once

#include "bench/load/common.h"

namespace locus::bench {

int IngestTool(const Args& args);     // Kafka ingest: bare consumer vs locus, same messages
int AnswerTool(const Args& args);     // in-process recommend latency
int StateTool(const Args& args);      // memory + RocksDB size, then restart after SIGKILL
int ReopenTool(const Args& args);     // the restart of `state`, again, on a kept killed state
int RetrainTool(const Args& args);    // AlsModel::Train wall time and loss
int RoundTripTool(const Args& args);  // Kafka request->response at a fixed rate, and freshness
int SplitTool(const Args& args);      // scale-out: by-place topic cost, per-user state share
int HeapTool(const Args& args);       // the model's own heap as events accumulate (no store)

}  // namespace locus::bench
