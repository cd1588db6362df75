// locus's own model under protocol NV-A: the very Model and Scorer the live engine runs,
// fed the replay as place upserts and visit events, asked through Recommend.
#pragma once

#include <memory>

#include "src/core/model.h"
#include "src/core/recommend.h"
#include "src/eval/replay.h"

namespace locus::eval {

std::unique_ptr<Method> MakeLocusMethod(const ModelOptions& options,
                                        std::unique_ptr<Scorer> scorer);

// The place and event a replay row becomes (as `locus import` publishes them).
Place PlaceOf(const Dataset& data, uint32_t venue);
Event EventOf(const Dataset& data, const Row& row, size_t index);

}  // namespace locus::eval
