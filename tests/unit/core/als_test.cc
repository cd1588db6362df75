#include "src/core/als.h"

#include "src/core/model.h"
#include "tests/unit/core/map_state.h"
#include "tests/unit/core/model_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace locus {
namespace {

using namespace test_support;

// Two taste groups: users 0-9 go to places a0-a4, users 10-19 to b0-b4, each to most of them.
Interactions TwoGroups() {
  Interactions d;
  for (int u = 0; u < 20; ++u) d.users.emplace_back("u" + std::to_string(u));
  for (const char* g : {"a", "b"}) {
    for (int p = 0; p < 5; ++p) d.places.emplace_back(std::string(g) + std::to_string(p));
  }
  for (uint32_t u = 0; u < 20; ++u) {
    const uint32_t group = u < 10 ? 0 : 5;
    for (uint32_t p = 0; p < 5; ++p) {
      if ((u + p) % 5 == 0) continue;  // everyone misses one place of their group
      d.pairs.push_back({u, group + p, static_cast<float>(1 + (u + p) % 3)});
    }
  }
  return d;
}

// A bigger deterministic set: `users` users with 2-12 places each among `places`, plus one
// place everyone went to (a row longer than the solver's gather chunk, 1024).
Interactions Random(uint32_t users, uint32_t places) {
  Interactions d;
  for (uint32_t u = 0; u < users; ++u) d.users.emplace_back("u" + std::to_string(u));
  for (uint32_t p = 0; p < places; ++p) d.places.emplace_back("p" + std::to_string(p));
  uint64_t state = 7;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  for (uint32_t u = 0; u < users; ++u) {
    d.pairs.push_back({u, 0, 1});
    const uint32_t n = 2 + next() % 11;
    for (uint32_t k = 0; k < n; ++k) {
      // Skewed: low place numbers are popular.
      const uint32_t p = 1 + (next() % (places - 1)) * (next() % (places - 1)) / (places - 1);
      d.pairs.push_back({u, p, static_cast<float>(1 + next() % 4)});
    }
  }
  return d;
}

// The training loss of the place vectors with every user folded in (their exact solution).
double FoldedInLoss(const Interactions& d, const AlsModel& m) {
  const AlsOptions& o = m.options();
  std::vector<std::vector<std::pair<PlaceId, double>>> history(d.users.size());
  for (const auto& p : d.pairs) history[p.user].emplace_back(d.places[p.place], p.count);
  const auto& y = m.place_factors();
  double loss = o.regularization * static_cast<double>(y.squaredNorm());
  for (size_t u = 0; u < d.users.size(); ++u) {
    const auto x = m.FoldIn(history[u]);
    if (!x.has_value()) continue;
    loss += static_cast<double>((y.transpose() * *x).squaredNorm()) +
            o.regularization * static_cast<double>(x->squaredNorm());
    for (const auto& [place, count] : history[u]) {
      const Eigen::Map<const AlsModel::Vector> yi(m.PlaceVector(place), o.factors);
      const double s = x->dot(yi), c = 1 + o.alpha * std::log1p(count);
      loss += c * (1 - s) * (1 - s) - s * s;
    }
  }
  return loss;
}

AlsOptions Small() {
  AlsOptions o;
  o.factors = 4;
  o.iterations = 10;
  return o;
}

TEST(AlsTest, EveryIterationLowersTheTrainingLoss) {
  std::vector<double> loss;
  AlsModel::Train(TwoGroups(), Small(), "t", &loss);
  ASSERT_EQ(loss.size(), 10u);
  for (size_t i = 1; i < loss.size(); ++i) EXPECT_LE(loss[i], loss[i - 1] * (1 + 1e-4)) << i;
  EXPECT_LT(loss.back(), loss.front());
}

TEST(AlsTest, AFoldedInUserPrefersTheUnvisitedPlaceOfTheirOwnGroup) {
  const auto m = AlsModel::Train(TwoGroups(), Small(), "als-test");
  EXPECT_EQ(m->version(), "als-test");
  // A new user who went to a1..a4 (not a0) should like a0 far more than any b place.
  const auto x = m->FoldIn({{PlaceId("a1"), 2}, {PlaceId("a2"), 1}, {PlaceId("a3"), 1}});
  ASSERT_TRUE(x.has_value());
  auto score = [&](const char* id) {
    return x->dot(Eigen::Map<const AlsModel::Vector>(m->PlaceVector(PlaceId(id)), 4));
  };
  for (const char* b : {"b0", "b1", "b2", "b3", "b4"}) EXPECT_GT(score("a0"), score(b)) << b;
  EXPECT_FALSE(m->FoldIn({{PlaceId("unknown"), 3}}).has_value());
}

// Training from data given away releases its pairs, users and places (the retrain's peak
// memory) and trains the same model as from data kept.
TEST(AlsTest, TrainingFromDataGivenAwayReleasesItAndTrainsTheSame) {
  const Interactions kept = TwoGroups();
  const auto a = AlsModel::Train(kept, Small(), "t");
  Interactions given = TwoGroups();
  ASSERT_FALSE(given.pairs.empty());
  const auto b = AlsModel::Train(std::move(given), Small(), "t");
  // NOLINTBEGIN(bugprone-use-after-move): the contract
  EXPECT_EQ(given.pairs.capacity(), 0u);
  EXPECT_EQ(given.users.capacity(), 0u);
  EXPECT_EQ(given.places.capacity(), 0u);
  // NOLINTEND(bugprone-use-after-move)
  ASSERT_EQ(a->place_ids(), b->place_ids());
  EXPECT_EQ(a->place_factors(), b->place_factors());
  EXPECT_EQ(kept.pairs.size(), TwoGroups().pairs.size());
}

// Places are found by id in the sorted ids (no index by id is kept); a fold-in given the
// vectors is the fold-in given the ids.
TEST(AlsTest, PlacesAreFoundByIdAndTheFoldInByVectorsIsTheFoldInByIds) {
  const auto m = AlsModel::Train(TwoGroups(), Small(), "t");
  const std::vector<PlaceId>& ids = m->place_ids();
  ASSERT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(m->PlaceVector(ids[i]), m->VectorAt(i));
  EXPECT_EQ(m->PlaceVector(PlaceId("unknown")), nullptr);
  EXPECT_EQ(m->PlaceVector(PlaceId("")), nullptr);
  EXPECT_EQ(m->PlaceVector(PlaceId("zzzz")), nullptr);
  const std::vector<std::pair<PlaceId, double>> by_id = {
      {PlaceId("b2"), 3}, {PlaceId("unknown"), 2}, {PlaceId("a1"), 1}};
  const std::vector<std::pair<const float*, double>> by_vector = {
      {m->PlaceVector(PlaceId("b2")), 3}, {nullptr, 2}, {m->PlaceVector(PlaceId("a1")), 1}};
  ASSERT_TRUE(m->FoldIn(by_id).has_value());
  EXPECT_EQ(*m->FoldIn(by_id), *m->FoldIn(by_vector));
  EXPECT_FALSE(m->FoldIn(std::vector<std::pair<const float*, double>>{{nullptr, 1}}).has_value());
}

TEST(AlsTest, ResultDoesNotDependOnInputOrderOrThreads) {
  Interactions d = TwoGroups();
  const auto a = AlsModel::Train(d, Small(), "t");
  // The same data listed backwards, trained on two threads.
  Interactions r;
  for (size_t i = d.users.size(); i-- > 0;) r.users.push_back(d.users[i]);
  for (size_t i = d.places.size(); i-- > 0;) r.places.push_back(d.places[i]);
  const auto n_users = static_cast<uint32_t>(d.users.size());
  const auto n_places = static_cast<uint32_t>(d.places.size());
  for (auto it = d.pairs.rbegin(); it != d.pairs.rend(); ++it) {
    r.pairs.push_back({n_users - 1 - it->user, n_places - 1 - it->place, it->count});
  }
  AlsOptions two = Small();
  two.threads = 2;
  const auto b = AlsModel::Train(r, two, "t");
  for (const PlaceId& p : d.places) {
    const Eigen::Map<const AlsModel::Vector> va(a->PlaceVector(p), 4), vb(b->PlaceVector(p), 4);
    EXPECT_EQ(va, vb) << p.str();
  }
}

TEST(AlsTest, ThreeCgStepsReachTheLossOfExactAlsWithinAFractionOfAPercent) {
  const Interactions d = Random(1500, 60);
  AlsOptions o;
  o.factors = 8;
  std::vector<double> cg, exact;
  AlsModel::Train(d, o, "cg", &cg);
  o.cg_steps = 0;
  AlsModel::Train(d, o, "exact", &exact);
  ASSERT_EQ(cg.size(), 15u);
  ASSERT_EQ(exact.size(), 15u);
  for (size_t i = 1; i < exact.size(); ++i) EXPECT_LE(exact[i], exact[i - 1] * (1 + 1e-6)) << i;
  EXPECT_LT(exact.back(), 0.5 * exact.front());
  // Not a bound (inexact steps take another path), but close: within 0.2% after 15 iterations.
  EXPECT_NEAR(cg.back() / exact.back(), 1.0, 2e-3);
}

// Trains `iterations` and one more exact iterations: folding users in solves them exactly for
// the final place vectors (the first half of one more iteration), so the loss with users folded
// in must lie between the reported losses of the two. Returns the first model.
std::shared_ptr<const AlsModel> TrainCheckingTheFoldedInLoss(const Interactions& d, AlsOptions o,
                                                             int iterations) {
  o.cg_steps = 0;
  o.iterations = iterations;
  std::vector<double> loss, more;
  auto m = AlsModel::Train(d, o, "t", &loss);
  o.iterations = iterations + 1;
  AlsModel::Train(d, o, "t", &more);
  const auto last = static_cast<size_t>(iterations - 1);
  EXPECT_EQ(more[last], loss[last]);
  const double folded = FoldedInLoss(d, *m);
  EXPECT_LE(folded, loss[last] * (1 + 1e-5));
  EXPECT_GE(folded, more[last + 1] * (1 - 1e-5));
  EXPECT_LT(more[last + 1], loss[last]);
  return m;
}

TEST(AlsTest, TheReportedLossIsTheLossOfTheModelWithUsersFoldedIn) {
  AlsOptions o;
  o.factors = 8;
  TrainCheckingTheFoldedInLoss(Random(1500, 60), o, 15);
}

// Rows keep a 16-bit code of each confidence while the distinct ones fit; past that they keep
// the confidences themselves. Both must train on 1 + alpha log1p(count) and order equal pairs
// the same whatever the input order.
TEST(AlsTest, PairsWithMoreDistinctCountsThanCodesTrainOnTheirOwnConfidences) {
  Interactions d = Random(9000, 60);
  ASSERT_GT(d.pairs.size(), size_t{70000});
  for (size_t k = 0; k < d.pairs.size(); ++k) {
    d.pairs[k].count = 1 + static_cast<float>(k) / 4096;  // every count distinct
  }
  d.pairs.push_back(d.pairs.back());  // a pair listed twice, with another count
  d.pairs.back().count = 0.5f;
  AlsOptions o;
  o.factors = 4;
  const auto m = TrainCheckingTheFoldedInLoss(d, o, 30);
  // The pairs listed backwards give the same factors bit for bit.
  Interactions r = d;
  std::reverse(r.pairs.begin(), r.pairs.end());
  o.cg_steps = 0;
  o.iterations = 30;
  const auto b = AlsModel::Train(r, o, "t");
  EXPECT_EQ(m->place_factors(), b->place_factors());
}

TEST(AlsTest, ManyBlocksGiveBitIdenticalFactorsOnOneOrThreeThreads) {
  // 5000 users: more than one block of every parallel step (solves, products, Gram sums).
  const Interactions d = Random(5000, 300);
  AlsOptions o;
  o.factors = 8;
  o.iterations = 3;
  std::vector<double> loss_one, loss_three;
  const auto one = AlsModel::Train(d, o, "t", &loss_one);
  o.threads = 3;
  const auto three = AlsModel::Train(d, o, "t", &loss_three);
  EXPECT_EQ(one->place_factors(), three->place_factors());
  EXPECT_EQ(loss_one, loss_three);
}

// Restored from its stored vectors (in any order) with or without its stored Gram matrix, a
// model has the trained one's places, vectors and Gram matrix bit for bit, so fold-ins (and
// answers) after a restart equal those before it.
TEST(AlsTest, StoredPlaceVectorsRestoreTheSameModel) {
  const auto m = AlsModel::Train(TwoGroups(), Small(), "v1");
  const int f = Small().factors;
  std::vector<PlaceId> ids;
  // Two spare columns: capacity the restore drops.
  const auto n = static_cast<Eigen::Index>(m->place_count());
  AlsModel::Matrix values = AlsModel::Matrix::Constant(f, n + 2, 7.0f);
  for (size_t i = m->place_count(); i-- > 0;) {
    ids.push_back(m->place_ids()[i]);
    const std::string bytes = AlsModel::EncodeVector(m->VectorAt(i), f);
    AlsModel::Vector v;
    ASSERT_TRUE(AlsModel::DecodeVector(bytes, v));
    values.col(static_cast<Eigen::Index>(ids.size() - 1)) = v;
  }
  const auto computed = AlsModel::FromStored("v1", Small(), ids, values);
  const auto stored = AlsModel::FromStored("v1", Small(), ids, values, m->gram().data());
  // In the store's order (the load's case: the matrix is adopted, its spare columns dropped).
  AlsModel::Matrix in_order = AlsModel::Matrix::Constant(f, n + 3, 7.0f);
  in_order.leftCols(n) = m->place_factors();
  const auto adopted = AlsModel::FromStored("v1", Small(), m->place_ids(), std::move(in_order));
  const std::vector<std::pair<PlaceId, double>> history = {{PlaceId("b2"), 3}, {PlaceId("a1"), 1}};
  for (const auto& back : {computed, stored, adopted}) {
    EXPECT_EQ(back->version(), "v1");
    EXPECT_EQ(back->place_ids(), m->place_ids());
    ASSERT_EQ(back->place_factors().rows(), m->place_factors().rows());
    ASSERT_EQ(back->place_factors().cols(), m->place_factors().cols());
    EXPECT_EQ(back->place_factors(), m->place_factors());
    EXPECT_EQ(back->gram(), m->gram());
    EXPECT_EQ(*m->FoldIn(history), *back->FoldIn(history));
  }
}

// The model's schedule: a retrain starts at the first event of a new UTC day and is installed
// at the first event an hour (of event time) later; answers then carry its version.
TEST(AlsTest, ModelRetrainsDailyAndInstallsAtAFixedPointInEventTime) {
  ModelOptions options;
  options.als.factors = 4;
  Model m(options);
  m.UpsertPlace(MakePlace("p1", "One", {40.70, -74.0}, {"Coffee Shop"}));
  m.UpsertPlace(MakePlace("p2", "Two", {40.71, -74.0}, {"Coffee Shop"}));
  // kT0 is 18:00:09 UTC; the day ends 6 hours later.
  ASSERT_TRUE(m.Apply(MakeEvent("e1", EventType::kVisit, "u1", "p1", kT0)).ok());
  ASSERT_TRUE(m.Apply(MakeEvent("e2", EventType::kVisit, "u2", "p2", kT0 + kHour)).ok());
  EXPECT_EQ(m.als(), nullptr);
  ASSERT_TRUE(m.Apply(MakeEvent("e3", EventType::kVisit, "u1", "p2", kT0 + 6 * kHour)).ok());
  EXPECT_EQ(m.als(), nullptr) << "started at midnight, installed only an hour later";
  ASSERT_TRUE(m.Apply(MakeEvent("e4", EventType::kVisit, "u2", "p1", kT0 + 7 * kHour)).ok());
  ASSERT_NE(m.als(), nullptr);
  EXPECT_EQ(m.als()->version(), "als-20120404T0000");
  // Trained on what came before midnight: u1 at p1, u2 at p2 (not e3).
  EXPECT_EQ(m.als()->place_count(), 2u);
}

// Two places, and events from 18:00 (kT0) to just past midnight UTC (e3), where the day's
// retrain starts; it is due an hour later.
void TwoPlacesUntilTheRetrainStarts(Model& m) {
  m.UpsertPlace(MakePlace("p1", "One", {40.70, -74.0}, {"Coffee Shop"}));
  m.UpsertPlace(MakePlace("p2", "Two", {40.71, -74.0}, {"Coffee Shop"}));
  ASSERT_TRUE(m.Apply(MakeEvent("e1", EventType::kVisit, "u1", "p1", kT0)).ok());
  ASSERT_TRUE(m.Apply(MakeEvent("e2", EventType::kVisit, "u2", "p2", kT0 + kHour)).ok());
  ASSERT_TRUE(m.Apply(MakeEvent("e3", EventType::kVisit, "u1", "p2", kT0 + 6 * kHour)).ok());
}

// Trains inline but reports itself not ready until told, as a retrain thread slower than the
// stream does.
class GatedRunner final : public RetrainRunner {
 public:
  void Start(Interactions data, AlsOptions options, std::string version) override {
    ++started;
    done_ = AlsModel::Train(std::move(data), options, std::move(version));
  }
  std::shared_ptr<const AlsModel> Finish() override {
    ++finished;
    return std::move(done_);
  }
  bool Ready() const override { return ready; }
  bool ready = false;
  int started = 0, finished = 0;

 private:
  std::shared_ptr<const AlsModel> done_;
};

// Training slower than the stream: by default ingestion goes on past the install point and
// the model is installed at the first event after the training is done; no other retrain
// starts meanwhile, even past the next period's start. With retrain_install_waits the install
// takes the model at its point, whatever the training reports.
TEST(AlsTest, ARetrainNotDoneAtItsInstallPointIsInstalledOnceDoneUnlessToldToWait) {
  for (const bool waits : {false, true}) {
    SCOPED_TRACE(waits ? "waits" : "goes on");
    ModelOptions options;
    options.als.factors = 4;
    options.retrain_install_waits = waits;
    Model m(options);
    GatedRunner runner;
    m.set_retrain_runner(&runner);
    ASSERT_NO_FATAL_FAILURE(TwoPlacesUntilTheRetrainStarts(m));
    EXPECT_EQ(runner.started, 1);
    ASSERT_TRUE(m.Apply(MakeEvent("e4", EventType::kVisit, "u2", "p1", kT0 + 7 * kHour)).ok());
    if (waits) {
      EXPECT_EQ(runner.finished, 1);
      ASSERT_NE(m.als(), nullptr);
      EXPECT_EQ(m.als()->version(), "als-20120404T0000");
      continue;
    }
    EXPECT_EQ(runner.finished, 0);
    EXPECT_EQ(m.als(), nullptr) << "training not done: ingestion went on without it";
    // The next day begins; the pending retrain holds back the next one.
    ASSERT_TRUE(m.Apply(MakeEvent("e5", EventType::kVisit, "u1", "p1", kT0 + 30 * kHour)).ok());
    EXPECT_EQ(runner.started, 1);
    EXPECT_EQ(m.als(), nullptr);
    runner.ready = true;
    ASSERT_TRUE(m.Apply(MakeEvent("e6", EventType::kVisit, "u2", "p2", kT0 + 31 * kHour)).ok());
    EXPECT_EQ(runner.finished, 1);
    ASSERT_NE(m.als(), nullptr);
    EXPECT_EQ(m.als()->version(), "als-20120404T0000");
    // Installed, the schedule goes on: the day of e5 and e6 gets its retrain at the first
    // event after the install.
    EXPECT_EQ(runner.started, 2);
  }
}

// A retrain whose install point passed before it was done, then a restart: the restarted
// model trains it again (on the data as it is now) and installs it once done, instead of
// going without until the next period's.
TEST(AlsTest, ARetrainOverdueAtARestartIsTrainedAgainAndInstalledOnceDone) {
  ModelOptions options;
  options.als.factors = 4;
  MapState state;
  {
    Model m(options);
    GatedRunner runner;
    m.set_retrain_runner(&runner);
    ASSERT_NO_FATAL_FAILURE(TwoPlacesUntilTheRetrainStarts(m));
    ASSERT_TRUE(m.Apply(MakeEvent("e4", EventType::kVisit, "u2", "p1", kT0 + 7 * kHour)).ok());
    ASSERT_EQ(m.als(), nullptr);
    ASSERT_NE(m.retrain_install_at(), 0);
    m.Persist(state);
  }
  Model back(options);
  GatedRunner runner;
  back.set_retrain_runner(&runner);
  ASSERT_TRUE(back.Load(state).ok());
  ASSERT_TRUE(back.Apply(MakeEvent("e5", EventType::kVisit, "u1", "p1", kT0 + 8 * kHour)).ok());
  EXPECT_EQ(runner.started, 1) << "trained again after the restart";
  EXPECT_EQ(back.als(), nullptr);
  runner.ready = true;
  ASSERT_TRUE(back.Apply(MakeEvent("e6", EventType::kVisit, "u2", "p2", kT0 + 9 * kHour)).ok());
  ASSERT_NE(back.als(), nullptr);
  EXPECT_EQ(back.als()->version(), "als-20120404T0000");
  EXPECT_EQ(back.retrain_install_at(), 0);
}

// A place the installed retrain holds but the model learns of only later (e.g. a model
// restored from the store, where a deleted place may come only from a user's history) gets
// its vector when it is numbered.
TEST(AlsTest, APlaceNumberedAfterTheInstallGetsItsRetrainedVector) {
  ModelOptions options;
  options.als.factors = 4;
  Model m(options);
  m.UpsertPlace(MakePlace("a1", "One", {40.70, -74.0}, {"Coffee Shop"}));
  const auto als = AlsModel::Train(TwoGroups(), Small(), "als-t");
  m.InstallAls(als);
  EXPECT_EQ(m.AlsVector(PlaceId("a1")), als->PlaceVector(PlaceId("a1")));
  EXPECT_EQ(m.AlsVector(PlaceId("b2")), nullptr) << "not known to the model yet";
  m.UpsertPlace(MakePlace("b2", "Two", {40.71, -74.0}, {"Coffee Shop"}));
  ASSERT_NE(als->PlaceVector(PlaceId("b2")), nullptr);
  EXPECT_EQ(m.AlsVector(PlaceId("b2")), als->PlaceVector(PlaceId("b2")));
  m.DeletePlace(PlaceId("b2"));
  EXPECT_EQ(m.AlsVector(PlaceId("b2")), als->PlaceVector(PlaceId("b2"))) << "deleted, still known";
}

}  // namespace
}  // namespace locus
