// EVAL.md's reference methods, reproduced exactly: pop, pop_near, user_hist. Matching the
// published figures proves the replay, split, candidates and tie-breaking are the peers'.
#pragma once

#include "src/eval/replay.h"

#include <memory>

namespace locus::eval {

std::unique_ptr<Method> MakePop();
std::unique_ptr<Method> MakePopNear();
std::unique_ptr<Method> MakeUserHist();

}  // namespace locus::eval
