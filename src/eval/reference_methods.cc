#include "src/eval/reference_methods.h"

#include "src/core/geo.h"

#include <cmath>

namespace locus::eval {
namespace {

// Shared plumbing: the replay's own state is all these methods need.
class Reference : public Method {
 public:
  void Bind(const ReplayState& state) override { state_ = &state; }
  void Reveal(const Row&, size_t) override {}

 protected:
  double Count(uint32_t v) const { return static_cast<double>(state_->venue_count[v]); }
  double PopNearKey(const Query& q, uint32_t v) const {
    if (!q.position) return std::log(1 + Count(v));
    const double d = HaversineKm(*q.position, state_->data.venue_position[v]);
    return std::log(1 + Count(v)) - std::log(1 + d);
  }
  const ReplayState* state_ = nullptr;
};

class Pop final : public Reference {
 public:
  std::string name() const override { return "pop"; }
  void Rank(const Query&, const std::vector<uint32_t>& c, std::vector<uint32_t>& top) override {
    TopByKeys(
        c,
        [&](uint32_t v) {
          return std::array<double, 2>{Count(v), 0};
        },
        top);
  }
};

class PopNear final : public Reference {
 public:
  std::string name() const override { return "pop_near"; }
  void Rank(const Query& q, const std::vector<uint32_t>& c, std::vector<uint32_t>& top) override {
    TopByKeys(
        c,
        [&](uint32_t v) {
          return std::array<double, 2>{PopNearKey(q, v), 0};
        },
        top);
  }
};

class UserHist final : public Reference {
 public:
  std::string name() const override { return "user_hist"; }
  void Rank(const Query& q, const std::vector<uint32_t>& c, std::vector<uint32_t>& top) override {
    const auto& mine = state_->mine[q.user];
    TopByKeys(
        c,
        [&](uint32_t v) {
          auto it = mine.find(v);
          const double own = it == mine.end() ? 0.0 : static_cast<double>(it->second);
          return std::array<double, 2>{own, PopNearKey(q, v)};
        },
        top);
  }
};

}  // namespace

std::unique_ptr<Method> MakePop() { return std::make_unique<Pop>(); }
std::unique_ptr<Method> MakePopNear() { return std::make_unique<PopNear>(); }
std::unique_ptr<Method> MakeUserHist() { return std::make_unique<UserHist>(); }

}  // namespace locus::eval
