// Readable text tables of answers for terminals and logs.
#pragma once

#include "src/core/types.h"

#include <ostream>

namespace locus::cli {

// Prints the question, how the activity resolved, and the ranked places with score,
// distance and reasons; or the error with suggestions.
void PrintAnswer(const Query& query, const Answer& answer, std::ostream& out);

}  // namespace locus::cli
