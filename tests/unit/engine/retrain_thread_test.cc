// ThreadRetrainRunner: trains on a thread of its own what AlsModel::Train trains inline, and
// counts the time the ingest thread waits for it.
#include "src/engine/retrain_thread.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

namespace locus {
namespace {

// 400 users over 120 places, each user visiting 12 places of a block of 40.
Interactions SomeInteractions() {
  Interactions d;
  for (int p = 0; p < 120; ++p) d.places.emplace_back("p" + std::to_string(p));
  for (int u = 0; u < 400; ++u) {
    d.users.emplace_back("u" + std::to_string(u));
    for (int k = 0; k < 12; ++k) {
      const auto place = static_cast<uint32_t>((u % 3) * 40 + (u * 7 + k * 3) % 40);
      d.pairs.push_back({static_cast<uint32_t>(u), place, static_cast<float>(1 + k % 3)});
    }
  }
  return d;
}

AlsOptions Options() {
  AlsOptions o;
  o.factors = 16;
  o.iterations = 15;
  return o;
}

TEST(ThreadRetrainRunnerTest, TrainsWhatTheInlineTrainingTrainsAndCountsTheWait) {
  ThreadRetrainRunner runner;
  EXPECT_TRUE(runner.Ready()) << "nothing started: Finish would not wait";
  EXPECT_EQ(runner.waited_seconds(), 0.0);
  EXPECT_EQ(runner.completed(), 0);
  runner.Start(SomeInteractions(), Options(), "als-a");
  EXPECT_EQ(runner.started(), 1);
  const auto model = runner.Finish();
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(runner.completed(), 1);
  EXPECT_FALSE(runner.training());
  EXPECT_TRUE(runner.Ready());
  // Finish joined the worker: a wait while it was still training is counted (how long that
  // was depends on the scheduler).
  EXPECT_GE(runner.waited_seconds(), 0.0);
  EXPECT_EQ(model->version(), "als-a");
  const auto inline_model = AlsModel::Train(SomeInteractions(), Options(), "als-a");
  EXPECT_EQ(model->place_ids(), inline_model->place_ids());
  EXPECT_EQ(model->place_factors(), inline_model->place_factors());

  // The waits add up; a Finish with nothing started returns nothing and waits for nothing.
  const double after_one = runner.waited_seconds();
  runner.Start(SomeInteractions(), Options(), "als-b");
  runner.Wait();
  EXPECT_GE(runner.waited_seconds(), after_one);
  EXPECT_EQ(runner.Finish()->version(), "als-b");
  const double after_two = runner.waited_seconds();
  EXPECT_EQ(runner.Finish(), nullptr);
  EXPECT_EQ(runner.waited_seconds(), after_two);

  // Once Ready, Finish only joins a worker that is returning: no wait is counted.
  runner.Start(SomeInteractions(), Options(), "als-c");
  while (!runner.Ready()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(runner.Finish()->version(), "als-c");
  EXPECT_EQ(runner.waited_seconds(), after_two);
}

}  // namespace
}  // namespace locus
