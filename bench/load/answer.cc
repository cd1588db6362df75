// answer: in-process recommend latency (Recommend with the LearnedScorer on a core Model, no
// Kafka, no store) at a given number of places, users and activities. The model is built by
// upserting every place and applying `events` workload events through Model::Apply (the
// same per-event learning as live; retrains off so none runs inline). Queries: a random
// user, one of their favourite activities, from their home, k=10; one at a time.
#include "bench/load/tools.h"

#include <cstdint>
#include <cstdio>

namespace locus::bench {

int AnswerTool(const Args& args) {
  const int64_t places = args.Int("places", 1000000), users = args.Int("users", 1000000);
  const int64_t events = args.Int("events", 1000000), queries = args.Int("queries", 20000);
  const int activities = static_cast<int>(args.Int("activities", 500));
  auto w = MakeWorkload(args, places, users, events, activities);
  ModelOptions mo;
  mo.retrain_every_days = 0;
  Model model(mo);
  model.set_track_changes(false);
  auto t = Clock::now();
  for (const Place& p : w->places()) model.UpsertPlace(p);
  const double places_s = Since(t);
  t = Clock::now();
  for (int64_t i = 0; i < events; ++i) model.Apply(w->Next()).IgnoreError();
  const double apply_s = Since(t);

  std::fprintf(stderr, "answer: model built (%.1f s of places, %.1f s of events); querying\n",
               places_s, apply_s);
  const LearnedScorer scorer;
  const RecommendOptions options;
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(queries));
  uint64_t r = 0x2545F4914F6CDD1DULL;
  int64_t empty = 0;
  // A digest of every answer (MixAnswer): equal digests mean a change left the answers
  // exactly as they were.
  uint64_t digest = 0xCBF29CE484222325ULL;
  for (int64_t i = 0; i < queries; ++i) {
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    const int64_t user = static_cast<int64_t>(r % static_cast<uint64_t>(users));
    Query q;
    q.request_id = "q";
    q.activity_text = w->activities()[static_cast<size_t>(
        w->FavouriteActivity(user, static_cast<int>((r >> 40) % 2)))];
    q.user = UserId(Workload::UserName(user));
    q.position = w->home(user);
    q.k = 10;
    const auto start = Clock::now();
    const Answer a = Recommend(model, scorer, q, options);
    ms.push_back(Ms(Clock::now() - start));
    if (!a.ok || a.items.empty()) ++empty;
    MixAnswer(a, digest);
  }
  const Latency l = Summarize(ms);
  std::printf("%s\n", JsonLine()
                          .Add("tool", std::string("answer"))
                          .Add("p50_ms", l.p50)
                          .Add("p99_ms", l.p99)
                          .Add("p999_ms", l.p999)
                          .Add("mean_ms", l.mean)
                          .Add("max_ms", l.max)
                          .Add("queries", static_cast<int64_t>(l.n))
                          .Add("empty_answers", empty)
                          .Add("answers_digest", std::to_string(digest))
                          .Add("places", static_cast<int64_t>(model.place_count()))
                          .Add("users", users)
                          .Add("users_with_history", model.user_count())
                          .Add("activities", static_cast<int64_t>(w->activities().size()))
                          .Add("events_applied", model.events_applied())
                          .Add("apply_events_per_s", static_cast<double>(events) / apply_s)
                          .Add("rss_gib", static_cast<double>(CurrentRssBytes()) / kGiB)
                          .Raw("machine", MachineJson())
                          .str()
                          .c_str());
  std::fprintf(stderr,
               "answer: %zu places (%.1f s to upsert), %lld of %lld users with history, %zu "
               "activities, %lld events applied (%.0f/s)\n"
               "answer: %zu queries: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms; %lld "
               "empty; answers digest %016llx\n",
               model.place_count(), places_s, static_cast<long long>(model.user_count()),
               static_cast<long long>(users), w->activities().size(),
               static_cast<long long>(model.events_applied()),
               static_cast<double>(events) / apply_s, l.n, l.p50, l.p99, l.p999, l.max,
               static_cast<long long>(empty), static_cast<unsigned long long>(digest));
  return 0;
}

}  // namespace locus::bench
