// retrain: wall time of the full retrain, AlsModel::Train, on synthetic interactions of the
// issue's size (1M users, 200k places, ~7.6M pairs, 64 factors, 15 iterations), and its loss.
// In the engine the retrain runs on its own thread (ThreadRetrainRunner), beside ingestion.
#include "bench/load/tools.h"

#include <cstdio>

namespace locus::bench {

int RetrainTool(const Args& args) {
  const int64_t users = args.Int("users", 1000000), places = args.Int("places", 200000);
  const int64_t pairs = args.Int("pairs", 7600000);
  AlsOptions o;
  o.factors = static_cast<int>(args.Int("factors", 64));
  o.iterations = static_cast<int>(args.Int("iterations", 15));
  o.threads = static_cast<int>(args.Int("threads", o.threads));
  auto t = Clock::now();
  const Interactions data = SyntheticInteractions(users, places, pairs, 11);
  const double build_s = Since(t);
  std::vector<double> loss;
  t = Clock::now();
  auto model = AlsModel::Train(data, o, "bench", &loss);
  const double seconds = Since(t);
  std::printf("%s\n", JsonLine()
                          .Add("tool", std::string("retrain"))
                          .Add("seconds", seconds)
                          .Add("users", static_cast<int64_t>(data.users.size()))
                          .Add("places", static_cast<int64_t>(data.places.size()))
                          .Add("pairs", static_cast<int64_t>(data.pairs.size()))
                          .Add("factors", static_cast<int64_t>(o.factors))
                          .Add("iterations", static_cast<int64_t>(o.iterations))
                          .Add("threads", static_cast<int64_t>(o.threads))
                          .Add("loss_first", loss.empty() ? 0.0 : loss.front())
                          .Add("loss", loss.empty() ? 0.0 : loss.back())
                          .Add("peak_rss_gib", static_cast<double>(PeakRssBytes()) / kGiB)
                          .Raw("machine", MachineJson())
                          .str()
                          .c_str());
  std::fprintf(stderr,
               "retrain: %zu users, %zu places, %zu pairs, %d factors, %d iterations, %d "
               "thread(s): %.1f s (data built in %.1f s); loss %.4g -> %.4g\n",
               data.users.size(), data.places.size(), data.pairs.size(), o.factors, o.iterations,
               o.threads, seconds, build_s, loss.empty() ? 0.0 : loss.front(),
               loss.empty() ? 0.0 : loss.back());
  return 0;
}

}  // namespace locus::bench
