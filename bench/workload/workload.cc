#include "bench/workload/workload.h"

#include "src/io/line_reader.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

namespace locus::bench {
namespace {

constexpr double kKmPerDegree = 111.32;

// Column `n` (0-based) of a tab-separated line.
std::string_view Column(std::string_view line, int n) {
  for (int i = 0; i < n; ++i) {
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos) return {};
    line.remove_prefix(tab + 1);
  }
  return line.substr(0, line.find('\t'));
}

size_t Lower(const std::vector<double>& cdf, double u) {
  const auto it = std::lower_bound(cdf.begin(), cdf.end(), u * cdf.back());
  return std::min(static_cast<size_t>(it - cdf.begin()), cdf.size() - 1);
}

// Events by UTC hour: quiet nights, a morning, a lunch and an evening peak.
constexpr double kHours[24] = {1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.0, 2.0, 3.0, 3.0, 3.0, 3.5,
                               4.0, 3.5, 3.0, 3.0, 3.5, 4.0, 4.5, 4.5, 4.0, 3.0, 2.0, 1.5};

}  // namespace

Result<std::unique_ptr<Workload>> Workload::Create(const WorkloadOptions& options) {
  auto reader = LineReader::Open(options.categories_path);
  if (!reader.ok()) return Status::Error("categories: " + reader.error());
  std::map<std::string, int64_t> counts;
  for (std::string line; (*reader)->Next(line);) {
    const std::string_view c = Column(line, 3);
    if (!c.empty()) counts[std::string(c)]++;
  }
  if (!(*reader)->error().empty()) return Status::Error("categories: " + (*reader)->error());
  if (counts.empty()) return Status::Error("no categories in " + options.categories_path);
  std::vector<std::pair<int64_t, std::string>> ranked;
  for (auto& [name, n] : counts) ranked.emplace_back(-n, name);
  std::sort(ranked.begin(), ranked.end());

  std::unique_ptr<Workload> w(new Workload(options));
  const size_t want =
      options.activities > 0 ? static_cast<size_t>(options.activities) : ranked.size();
  for (size_t i = 0; i < want; ++i) {
    std::string name = ranked[i % ranked.size()].second;
    if (i >= ranked.size()) name += " #" + std::to_string(i / ranked.size() + 1);
    w->activities_.push_back(std::move(name));
  }
  w->Build();
  return w;
}

uint64_t Workload::Rand() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Workload::Uniform() { return static_cast<double>(Rand() >> 11) * 0x1.0p-53; }

double Workload::Normal() {
  const double u = std::max(Uniform(), 1e-300), v = Uniform();
  return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
}

int64_t Workload::Zipf(int64_t n) {
  const double x = std::pow(static_cast<double>(n) + 1, Uniform());
  return std::clamp<int64_t>(static_cast<int64_t>(x) - 1, 0, n - 1);
}

GeoPoint Workload::Near(const GeoPoint& at, double sd_km) {
  const double dlat = Normal() * sd_km / kKmPerDegree;
  const double dlon =
      Normal() * sd_km / (kKmPerDegree * std::max(0.2, std::cos(at.lat * std::numbers::pi / 180)));
  return {std::clamp(at.lat + dlat, -89.0, 89.0), std::clamp(at.lon + dlon, -179.9, 179.9)};
}

int Workload::FavouriteActivity(int64_t user, int k) const {
  // A fixed function of (seed, user, k): nothing stored per user.
  uint64_t z = options_.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(user) * 4 +
               static_cast<uint64_t>(k) + 1;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  const double u = static_cast<double>(z >> 11) * 0x1.0p-53;
  return static_cast<int>(Lower(activity_cdf_, u));
}

void Workload::Build() {
  state_ = options_.seed;
  const int64_t n_places = std::max<int64_t>(1, options_.places);
  const int64_t n_users = std::max<int64_t>(1, options_.users);
  const int n_act = static_cast<int>(activities_.size());
  // Activity shares of places: Zipf with exponent 0.8 over the file's frequency order.
  double sum = 0;
  for (int a = 0; a < n_act; ++a) activity_cdf_.push_back(sum += std::pow(a + 1.0, -0.8));

  // Cities of ~50k places each, sizes Zipf; 20 neighbourhoods each.
  const int64_t n_cities = std::max<int64_t>(1, n_places / 50000);
  std::vector<double> city_cdf;
  sum = 0;
  for (int64_t c = 0; c < n_cities; ++c) {
    City city;
    city.center =
        c == 0 ? GeoPoint{40.75, -73.98} : GeoPoint{-40 + 100 * Uniform(), -120 + 260 * Uniform()};
    for (int h = 0; h < 20; ++h) city.hoods.push_back(Near(city.center, 6.0));
    cities_.push_back(std::move(city));
    city_cdf.push_back(sum += 1.0 / static_cast<double>(c + 1));
  }

  by_city_activity_.resize(static_cast<size_t>(n_cities * n_act));
  by_activity_.resize(static_cast<size_t>(n_act));
  places_.reserve(static_cast<size_t>(n_places));
  for (int64_t i = 0; i < n_places; ++i) {
    const int64_t c = static_cast<int64_t>(Lower(city_cdf, Uniform()));
    // Every activity has at least one place.
    const int a =
        i < n_act ? static_cast<int>(i) : static_cast<int>(Lower(activity_cdf_, Uniform()));
    const City& city = cities_[static_cast<size_t>(c)];
    Place p;
    std::string id = "p";
    id += std::to_string(i);
    p.id = PlaceId(std::move(id));
    p.name = activities_[static_cast<size_t>(a)] + " " + std::to_string(i);
    p.position = Near(city.hoods[Rand() % city.hoods.size()], 1.2);
    p.activities = {ActivityId(activities_[static_cast<size_t>(a)])};
    places_.push_back(std::move(p));
    place_activity_.push_back(a);
    // Creation order is random, so a list's order is a random popularity rank.
    by_city_activity_[static_cast<size_t>(c * n_act + a)].push_back(static_cast<uint32_t>(i));
    by_activity_[static_cast<size_t>(a)].push_back(static_cast<uint32_t>(i));
  }

  users_.resize(static_cast<size_t>(n_users));
  sum = 0;
  for (int64_t u = 0; u < n_users; ++u) {
    User& user = users_[static_cast<size_t>(u)];
    user.city = static_cast<int32_t>(Lower(city_cdf, Uniform()));
    const City& city = cities_[static_cast<size_t>(user.city)];
    user.home = Near(city.hoods[Rand() % city.hoods.size()], 1.5);
    // Log-normal activity: a few users make many of the events.
    user_cdf_.push_back(sum += std::exp(Normal()));
  }

  sum = 0;
  for (double h : kHours) hour_cdf_.push_back(sum += h);
  span_days_ = std::max(1.0, static_cast<double>(std::max<int64_t>(1, options_.events)) /
                                 static_cast<double>(n_users) / options_.events_per_user_day);
}

uint32_t Workload::PickPlace(int64_t user, int activity) {
  User& u = users_[static_cast<size_t>(user)];
  if (Uniform() < options_.repeat_share) {
    uint32_t mine[4];
    int n = 0;
    for (uint32_t p : u.recent) {
      if (p != UINT32_MAX && place_activity_[p] == activity) mine[n++] = p;
    }
    if (n > 0) return mine[Rand() % static_cast<uint64_t>(n)];
  }
  const int n_act = static_cast<int>(activities_.size());
  const auto& local = by_city_activity_[static_cast<size_t>(u.city * n_act + activity)];
  const auto& list = local.empty() ? by_activity_[static_cast<size_t>(activity)] : local;
  // Popular places near home: the nearest of three Zipf draws.
  uint32_t best = 0;
  double best_d = 1e300;
  for (int k = 0; k < 3; ++k) {
    const uint32_t p = list[static_cast<size_t>(Zipf(static_cast<int64_t>(list.size())))];
    const double dlat = places_[p].position.lat - u.home.lat;
    const double dlon = places_[p].position.lon - u.home.lon;
    const double d = dlat * dlat + dlon * dlon;
    if (d < best_d) best_d = d, best = p;
  }
  u.recent[u.next++ % 4] = best;
  return best;
}

Event Workload::Next() {
  const int64_t n = std::max<int64_t>(1, options_.events);
  const int64_t i = seq_ % n;
  // Time: the i-th of n events spread over span_days_, each day's share in the daily rhythm.
  const double day_pos = static_cast<double>(i) / static_cast<double>(n) * span_days_;
  const double day = std::floor(day_pos), frac = day_pos - day;
  const size_t h = Lower(hour_cdf_, frac);
  const double lo = h ? hour_cdf_[h - 1] : 0;
  const double in_hour = (frac * hour_cdf_.back() - lo) / (hour_cdf_[h] - lo);
  const double seconds =
      day * 86400 + (static_cast<double>(h) + std::clamp(in_hour, 0.0, 1.0)) * 3600;
  const int64_t round = seq_ / n;  // later rounds continue after the span

  const int64_t user = static_cast<int64_t>(Lower(user_cdf_, Uniform()));
  const double r = Uniform();
  const int k = r < 0.5 ? 0 : r < 0.75 ? 1 : r < 0.9 ? 2 : 3;
  const int activity = FavouriteActivity(user, k);
  const uint32_t p = PickPlace(user, activity);

  Event e;
  e.event_id.push_back('e');  // not = "e": GCC 12 warns falsely (-Wrestrict) on that
  e.event_id += std::to_string(seq_);
  e.type = Uniform() < options_.click_share ? EventType::kClick : EventType::kVisit;
  e.user = UserId(UserName(user));
  e.place = places_[p].id;
  e.activity = ActivityId(activities_[static_cast<size_t>(activity)]);
  e.ts = (options_.start_epoch_s +
          static_cast<int64_t>(round * static_cast<int64_t>(std::ceil(span_days_ + 1)) * 86400)) *
             1000 +
         static_cast<int64_t>(seconds * 1000);
  e.position = e.type == EventType::kVisit ? Near(places_[p].position, 0.05)
                                           : users_[static_cast<size_t>(user)].home;
  last_user_ = user;
  ++seq_;
  return e;
}

Interactions SyntheticInteractions(int64_t users, int64_t places, int64_t pairs, uint64_t seed) {
  Interactions data;
  data.users.reserve(static_cast<size_t>(users));
  data.places.reserve(static_cast<size_t>(places));
  for (int64_t u = 0; u < users; ++u) data.users.emplace_back(Workload::UserName(u));
  for (int64_t i = 0; i < places; ++i) {
    std::string id = "p";
    id += std::to_string(i);
    data.places.emplace_back(std::move(id));
  }
  uint64_t state = seed;
  auto rand = [&state] {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  auto uniform = [&rand] { return static_cast<double>(rand() >> 11) * 0x1.0p-53; };
  data.pairs.reserve(static_cast<size_t>(pairs));
  std::vector<uint32_t> mine;
  for (int64_t u = 0; u < users; ++u) {
    // Spread `pairs` over the users as evenly as integers allow.
    const int64_t n = (u + 1) * pairs / users - u * pairs / users;
    mine.clear();
    for (int64_t k = 0; k < n; ++k) {
      uint32_t p = 0;
      for (int tries = 0; tries < 8; ++tries) {
        const double x = std::pow(static_cast<double>(places) + 1, uniform());
        p = static_cast<uint32_t>(std::clamp<int64_t>(static_cast<int64_t>(x) - 1, 0, places - 1));
        if (std::find(mine.begin(), mine.end(), p) == mine.end()) break;
      }
      if (std::find(mine.begin(), mine.end(), p) != mine.end()) continue;
      mine.push_back(p);
      float count = 1;
      while (uniform() < 0.4) count += 1;
      data.pairs.push_back({static_cast<uint32_t>(u), p, count});
    }
  }
  return data;
}

}  // namespace locus::bench
