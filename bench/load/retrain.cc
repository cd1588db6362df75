// retrain: wall time of the full retrain, AlsModel::Train, on synthetic interactions of the
// issue's size (1M users, 200k places, ~7.6M pairs, 64 factors, 15 iterations), and its loss.
// In the engine the retrain runs on its own thread (ThreadRetrainRunner), beside ingestion.
//
// --reference-iterations N also trains N iterations with exact solves (cg_steps 0, Cholesky:
// exact ALS, several times slower) on the same data, untimed against the target, and reports
// its loss and the first iteration of the measured run that came within 1e-5 of it: the
// backing for "the same training loss as N ALS iterations".
#include "bench/load/tools.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace locus::bench {
namespace {

std::string JsonArray(const std::vector<double>& values) {
  std::string out = "[";
  char buf[32];
  for (size_t i = 0; i < values.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.7g", i == 0 ? "" : ",", values[i]);
    out += buf;
  }
  return out + "]";
}

}  // namespace

int RetrainTool(const Args& args) {
  const int64_t users = args.Int("users", 1000000), places = args.Int("places", 200000);
  const int64_t pairs = args.Int("pairs", 7600000);
  AlsOptions o;
  o.factors = static_cast<int>(args.Int("factors", 64));
  o.iterations = static_cast<int>(args.Int("iterations", 15));
  o.threads = static_cast<int>(args.Int("threads", o.threads));
  o.cg_steps = static_cast<int>(args.Int("cg-steps", o.cg_steps));
  const int reference_iterations = static_cast<int>(args.Int("reference-iterations", 0));
  auto t = Clock::now();
  Interactions data = SyntheticInteractions(users, places, pairs, 11);
  const double build_s = Since(t);
  const size_t n_users = data.users.size(), n_places = data.places.size();
  const size_t n_pairs = data.pairs.size();
  // Flops per iteration as the header of src/core/als.h counts them.
  double flops = 0;
  {
    const double f = o.factors;
    std::vector<double> user_n(data.users.size()), place_n(data.places.size());
    for (const auto& p : data.pairs) {
      ++user_n[p.user];
      ++place_n[p.place];
    }
    bool long_user = false;
    for (const std::vector<double>* rows : {&user_n, &place_n}) {
      for (double n : *rows) {
        flops += n <= 16 ? 2 * n * n * f : n * f * (7 + 4 * o.cg_steps);
        long_user |= rows == &user_n && n > 16;
      }
    }
    const auto users_n = static_cast<double>(data.users.size());
    const auto places_n = static_cast<double>(data.places.size());
    flops +=
        (users_n + places_n) * f * f + 2 * ((long_user ? 2 : 1) * users_n + 2 * places_n) * f * f;
  }
  // Trained from data given away, as the engine's retrain thread does (its peak memory is the
  // engine's), unless the reference run needs the data again.
  std::optional<Interactions> kept;
  if (reference_iterations > 0) kept = data;
  std::vector<double> loss;
  t = Clock::now();
  auto model = AlsModel::Train(std::move(data), o, "bench", &loss);
  const double seconds = Since(t);
  const double final_loss = loss.empty() ? 0.0 : loss.back();
  const double gflop = flops / 1e9;

  JsonLine json;
  json.Add("tool", std::string("retrain"))
      .Add("seconds", seconds)
      .Add("users", static_cast<int64_t>(n_users))
      .Add("places", static_cast<int64_t>(n_places))
      .Add("pairs", static_cast<int64_t>(n_pairs))
      .Add("factors", static_cast<int64_t>(o.factors))
      .Add("iterations", static_cast<int64_t>(o.iterations))
      .Add("cg_steps", static_cast<int64_t>(o.cg_steps))
      .Add("threads", static_cast<int64_t>(o.threads))
      .Add("gflop_per_iteration", gflop)
      .Add("loss_first", loss.empty() ? 0.0 : loss.front())
      .Add("loss", final_loss)
      .Raw("loss_per_iteration", JsonArray(loss));
  std::fprintf(stderr,
               "retrain: %zu users, %zu places, %zu pairs, %d factors, %d iterations, %d CG "
               "steps, %d thread(s): %.1f s (data built in %.1f s; ~%.0f GFLOP an iteration, "
               "%.1f GFLOP/s); loss %.6g -> %.6g\n",
               n_users, n_places, n_pairs, o.factors, o.iterations, o.cg_steps, o.threads, seconds,
               build_s, gflop, gflop * o.iterations / std::max(seconds, 1e-9),
               loss.empty() ? 0.0 : loss.front(), final_loss);
  if (reference_iterations > 0) {
    AlsOptions exact = o;
    exact.cg_steps = 0;
    exact.iterations = reference_iterations;
    std::vector<double> reference;
    t = Clock::now();
    AlsModel::Train(*kept, exact, "reference", &reference);
    const double reference_s = Since(t);
    const double reference_loss = reference.empty() ? 0.0 : reference.back();
    // The first iteration (1-based) within 1e-5 of the reference loss or below it; 0: never.
    int64_t reached = 0;
    for (size_t i = 0; i < loss.size() && reached == 0; ++i) {
      if (loss[i] <= reference_loss * (1 + 1e-5)) reached = static_cast<int64_t>(i + 1);
    }
    json.Add("reference_iterations", static_cast<int64_t>(reference_iterations))
        .Add("reference_loss", reference_loss)
        .Add("reference_seconds", reference_s)
        .Add("iterations_to_reference", reached)
        .Add("loss_over_reference", final_loss / reference_loss);
    std::fprintf(
        stderr,
        "reference: %d exact iterations: loss %.6g (%.1f s); this run ends %+.4f%% from "
        "it%s\n",
        reference_iterations, reference_loss, reference_s, 100 * (final_loss / reference_loss - 1),
        reached > 0 ? (", reaching it at iteration " + std::to_string(reached)).c_str() : "");
  }
  json.Add("peak_rss_gib", static_cast<double>(PeakRssBytes()) / kGiB)
      .Raw("machine", MachineJson());
  std::printf("%s\n", json.str().c_str());
  return 0;
}

}  // namespace locus::bench
