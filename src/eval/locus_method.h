// locus's own model under protocol NV-A: the very Model and Scorer the live engine runs,
// fed the replay as place upserts and visit events, asked through Recommend.
#pragma once

#include "src/core/model.h"
#include "src/core/recommend.h"
#include "src/eval/replay.h"

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace locus::eval {

// The replay of a data set through locus's core, as `locus eval` runs it: rows become place
// upserts (at a venue's first check-in) and visit events; questions go through Recommend.
class LocusReplay {
 public:
  LocusReplay(const Dataset& data, const ModelOptions& options, std::unique_ptr<Scorer> scorer);
  // Learns row `index` (upserting its venue first when new).
  void Reveal(const Row& row, size_t index);
  // The top-10 venues for a question, best first.
  std::vector<uint32_t> Rank(uint32_t user, uint32_t activity,
                             const std::optional<GeoPoint>& position, TimeMs at) const;
  const Model& model() const { return model_; }

 private:
  const Dataset& data_;
  Model model_;
  std::unique_ptr<Scorer> scorer_;
  std::vector<bool> seen_;
  std::unordered_map<std::string, uint32_t> index_;
};

std::unique_ptr<Method> MakeLocusMethod(const ModelOptions& options,
                                        std::unique_ptr<Scorer> scorer);

// The place and event a replay row becomes (as `locus import` publishes them).
Place PlaceOf(const Dataset& data, uint32_t venue);
Event EventOf(const Dataset& data, const Row& row, size_t index);

}  // namespace locus::eval
