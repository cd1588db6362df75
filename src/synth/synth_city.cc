#include "src/synth/synth_city.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locus::synth {
namespace {

// ---------------------------------------------------------------------------------------------
// Randomness. Every conversion is spelled out here so that the bytes do not depend on the
// standard library (std::uniform_*_distribution and friends differ between implementations).

uint64_t SplitMix64(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  // `stream` separates the phases (places, users, times, choices), so that for example asking
  // for more check-ins keeps the same venues.
  Rng(uint64_t seed, uint64_t stream) : state_(SplitMix64(seed) ^ SplitMix64(~stream)) {}

  uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return SplitMix64(state_);
  }
  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n); the modulo bias is below 2^-40 for the sizes used here.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  bool Chance(double p) { return Uniform() < p; }
  // Standard normal approximated by the Irwin-Hall sum of 12 uniforms: only additions, so the
  // same on every platform, and bounded by +-6 (no wild outliers, which suits a city map).
  double Normal() {
    double sum = 0;
    for (int i = 0; i < 12; ++i) sum += Uniform();
    return sum - 6.0;
  }

 private:
  uint64_t state_;
};

// Index drawn proportionally to the weights whose running sums are `cumulative`.
size_t Pick(const std::vector<double>& cumulative, Rng& rng) {
  const double target = rng.Uniform() * cumulative.back();
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
  return std::min(static_cast<size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

std::vector<double> RunningSums(const std::vector<double>& weights) {
  std::vector<double> sums(weights.size());
  double total = 0;
  for (size_t i = 0; i < weights.size(); ++i) sums[i] = total += weights[i];
  return sums;
}

// ---------------------------------------------------------------------------------------------
// Activities: common Foursquare categories, most frequent first (the order of the NYC data).

// When in the (local) day and week an activity happens; see RawRhythm.
enum class Rhythm { kAny, kMorning, kMeals, kWork, kEvening, kHome, kCommute, kDaytime };

struct ActivitySpec {
  const char* name;
  Rhythm rhythm;
  // Probability that a check-in for this activity goes to one of the user's favourites.
  double loyalty;
  // Number of favourite places a user keeps for it: the usual one and adopted discoveries.
  int favourites;
  // Private places (homes): chosen by distance only, popularity means nothing there.
  bool personal = false;
};

constexpr ActivitySpec kActivities[] = {
    {"Home (private)", Rhythm::kHome, 0.96, 1, true},
    {"Subway", Rhythm::kCommute, 0.79, 2},
    {"Bar", Rhythm::kEvening, 0.65, 3},
    {"Office", Rhythm::kWork, 0.94, 1},
    {"Gym / Fitness Center", Rhythm::kDaytime, 0.9, 1},
    {"Train Station", Rhythm::kCommute, 0.79, 2},
    {"Coffee Shop", Rhythm::kMorning, 0.72, 3},
    {"Neighborhood", Rhythm::kAny, 0.65, 2},
    {"Food & Drink Shop", Rhythm::kDaytime, 0.72, 2},
    {"Deli / Bodega", Rhythm::kMeals, 0.76, 2},
    {"Park", Rhythm::kDaytime, 0.69, 2},
    {"Bus Station", Rhythm::kCommute, 0.72, 2},
    {"Residential Building (Apartment / Condo)", Rhythm::kHome, 0.86, 2, true},
    {"Hotel", Rhythm::kAny, 0.51, 2},
    {"College Academic Building", Rhythm::kWork, 0.9, 2},
    {"Airport", Rhythm::kAny, 0.65, 1},
    {"Medical Center", Rhythm::kDaytime, 0.72, 1},
    {"Movie Theater", Rhythm::kEvening, 0.61, 2},
    {"American Restaurant", Rhythm::kMeals, 0.51, 3},
    {"Plaza", Rhythm::kDaytime, 0.58, 2},
    {"Department Store", Rhythm::kDaytime, 0.58, 2},
    {"Clothing Store", Rhythm::kDaytime, 0.55, 3},
    {"Drugstore / Pharmacy", Rhythm::kDaytime, 0.72, 2},
    {"University", Rhythm::kWork, 0.9, 1},
    {"Bank", Rhythm::kDaytime, 0.72, 1},
    {"Music Venue", Rhythm::kEvening, 0.51, 3},
    {"Electronics Store", Rhythm::kDaytime, 0.55, 2},
    {"Government Building", Rhythm::kWork, 0.65, 2},
    {"School", Rhythm::kWork, 0.9, 1},
    // Café, spelled in UTF-8 bytes whatever the compiler's execution character set.
    {"Caf\xC3\xA9", Rhythm::kMorning, 0.61, 3},
    {"Mall", Rhythm::kDaytime, 0.65, 2},
    {"Stadium", Rhythm::kEvening, 0.65, 2},
    {"Burger Joint", Rhythm::kMeals, 0.55, 3},
    {"Pizza Place", Rhythm::kMeals, 0.58, 3},
    {"Fast Food Restaurant", Rhythm::kMeals, 0.58, 3},
    {"Mexican Restaurant", Rhythm::kMeals, 0.51, 3},
    {"Chinese Restaurant", Rhythm::kMeals, 0.55, 3},
    {"Sandwich Place", Rhythm::kMeals, 0.61, 3},
    {"Ferry", Rhythm::kCommute, 0.79, 1},
    {"Bakery", Rhythm::kMorning, 0.61, 2},
    {"Convenience Store", Rhythm::kAny, 0.72, 2},
    {"Bookstore", Rhythm::kDaytime, 0.58, 2},
    {"Diner", Rhythm::kMeals, 0.58, 2},
    {"Donut Shop", Rhythm::kMorning, 0.65, 2},
    {"Church", Rhythm::kDaytime, 0.86, 1},
    {"Salon / Barbershop", Rhythm::kDaytime, 0.86, 1},
    {"Bagel Shop", Rhythm::kMorning, 0.69, 2},
    {"Beach", Rhythm::kDaytime, 0.58, 2},
    {"Italian Restaurant", Rhythm::kMeals, 0.48, 3},
    {"Breakfast Spot", Rhythm::kMorning, 0.55, 3},
    {"Library", Rhythm::kDaytime, 0.72, 2},
    {"Museum", Rhythm::kDaytime, 0.41, 3},
    {"Theater", Rhythm::kEvening, 0.44, 3},
    {"Beer Garden", Rhythm::kEvening, 0.55, 2},
    {"Sushi Restaurant", Rhythm::kMeals, 0.51, 3},
    {"Thai Restaurant", Rhythm::kMeals, 0.51, 3},
    {"Ice Cream Shop", Rhythm::kDaytime, 0.55, 2},
    {"Art Gallery", Rhythm::kDaytime, 0.41, 3},
    {"Climbing Gym", Rhythm::kDaytime, 0.86, 1},
    {"Yoga Studio", Rhythm::kDaytime, 0.86, 1},
    {"Cocktail Bar", Rhythm::kEvening, 0.58, 3},
    {"Wine Bar", Rhythm::kEvening, 0.55, 3},
    {"Nightclub", Rhythm::kEvening, 0.51, 3},
    {"Laundry Service", Rhythm::kDaytime, 0.9, 1},
    {"Post Office", Rhythm::kDaytime, 0.79, 1},
};
constexpr size_t kActivityCount = std::size(kActivities);

// Zipf-like weight of the activity (or place) with 0-based frequency rank `rank`: 1/(rank+2), a
// Zipf-Mandelbrot law whose head is as flat as the NYC category counts (Home 10%, Subway 7%,
// Bar 6%, ...). A plain division: no pow() whose last bit could differ between C libraries.
double ZipfWeight(size_t rank) { return 1.0 / static_cast<double>(rank + 2); }

// How likely an activity is at this local hour, before normalisation (see RhythmTable).
double RawRhythm(Rhythm rhythm, int hour, bool weekend) {
  const auto in = [hour](int from, int to) { return hour >= from && hour <= to; };
  switch (rhythm) {
    case Rhythm::kAny:
      return 1.0;
    case Rhythm::kMorning:
      return in(6, 10) ? 3.0 : in(11, 16) ? 1.0 : 0.25;
    case Rhythm::kMeals:
      return in(11, 13) || in(18, 21) ? 3.0 : in(8, 17) || in(22, 23) ? 0.7 : 0.2;
    case Rhythm::kWork:
      if (weekend) return in(9, 17) ? 0.3 : 0.05;
      return in(8, 17) ? 3.0 : in(18, 19) ? 0.8 : 0.1;
    case Rhythm::kEvening:
      return (in(18, 23) ? 3.0 : in(0, 2) ? 2.0 : in(15, 17) ? 0.6 : 0.1) * (weekend ? 1.4 : 1.0);
    case Rhythm::kHome:
      return in(19, 23) ? 3.0 : in(0, 8) ? 2.0 : weekend ? 1.0 : 0.4;
    case Rhythm::kCommute:
      if (weekend) return 0.8;
      return in(7, 9) || in(16, 19) ? 3.0 : 0.6;
    case Rhythm::kDaytime:
      return (in(9, 20) ? 1.5 : 0.2) * (weekend ? 1.5 : 1.0);
  }
  return 1.0;
}

// Check-ins per local hour of the day: peaks at 8-9h, 12-13h and 18-22h.
constexpr std::array<double, 24> kHourWeights = {2.0, 1.2, 0.8, 0.5, 0.4, 0.6, 1.5, 3.5,
                                                 6.0, 5.5, 3.5, 4.0, 6.0, 5.5, 3.5, 3.5,
                                                 4.0, 5.0, 7.0, 7.5, 7.0, 6.0, 5.0, 3.5};

// RawRhythm scaled so that each rhythm averages 1 over the week's check-ins: the rhythm decides
// when an activity happens, the user's taste how often.
class RhythmTable {
 public:
  RhythmTable() {
    double hours_total = 0;
    for (const double w : kHourWeights) hours_total += w;
    for (size_t r = 0; r < kRhythms; ++r) {
      const auto rhythm = static_cast<Rhythm>(r);
      double mean = 0;
      for (int h = 0; h < 24; ++h) {
        mean += kHourWeights[h] / hours_total *
                (5.0 / 7.0 * RawRhythm(rhythm, h, false) + 2.0 / 7.0 * RawRhythm(rhythm, h, true));
      }
      for (int h = 0; h < 24; ++h) {
        factors_[r][0][h] = RawRhythm(rhythm, h, false) / mean;
        factors_[r][1][h] = RawRhythm(rhythm, h, true) / mean;
      }
    }
  }
  double Factor(Rhythm rhythm, int hour, bool weekend) const {
    return factors_[static_cast<size_t>(rhythm)][weekend ? 1 : 0][hour];
  }

 private:
  static constexpr size_t kRhythms = static_cast<size_t>(Rhythm::kDaytime) + 1;
  std::array<std::array<std::array<double, 24>, 2>, kRhythms> factors_{};
};

// Every row's timezone offset: New York in summer (EDT).
constexpr int kTzOffsetMinutes = -240;

constexpr char kHex[] = "0123456789abcdef";

void AppendHex(uint64_t value, int digits, std::string& out) {
  for (int i = digits - 1; i >= 0; --i) out += kHex[(value >> (4 * i)) & 0xF];
}

// A stable 24-hex-digit id for a category name, the same for every seed.
std::string CategoryId(std::string_view name) {
  uint64_t h = 0xCBF29CE484222325ULL;  // FNV-1a over the UTF-8 bytes
  for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
  std::string id;
  AppendHex(SplitMix64(h), 16, id);
  AppendHex(SplitMix64(h ^ 0x5EED) >> 32, 8, id);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Geography: a local flat frame in km around the centre (x east, y north). Over a city the
// error against great-circle distances is far below the 3% margin kept from the radius.

constexpr double kKmPerDegree = 6371.0088 * 3.14159265358979323846 / 180.0;
constexpr double kRadiusMargin = 0.97;

struct Point {
  double x = 0, y = 0;  // km from the centre
};

double Distance(Point a, Point b) {
  return std::sqrt((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y));
}

struct Neighbourhood {
  Point centre;
  double sigma_km;
  double weight;
};

struct Place {
  Point at;
  double lat, lon;
  size_t activity;
  std::string id;
};

struct City {
  double radius_km;
  std::vector<Neighbourhood> hoods;
  std::vector<double> hood_sums;  // running sums of hood weights
  std::vector<Place> places;
  std::vector<std::vector<size_t>> by_activity;  // places of each activity, rank order
  std::vector<std::vector<double>> popularity;   // running sums of their Zipf popularity
};

Point UniformInDisc(double radius, Rng& rng) {
  while (true) {  // rejection from the square: 78.5% acceptance, exact and portable
    const Point p{(2 * rng.Uniform() - 1) * radius, (2 * rng.Uniform() - 1) * radius};
    if (p.x * p.x + p.y * p.y <= radius * radius) return p;
  }
}

// A point of a gaussian blob around a neighbourhood, kept inside the city.
Point NearHood(const City& city, double spread, Rng& rng) {
  const Neighbourhood& hood = city.hoods[Pick(city.hood_sums, rng)];
  const double limit = city.radius_km * kRadiusMargin;
  for (int attempt = 0; attempt < 64; ++attempt) {
    const Point p{hood.centre.x + hood.sigma_km * spread * rng.Normal(),
                  hood.centre.y + hood.sigma_km * spread * rng.Normal()};
    if (Distance(p, Point{}) <= limit) return p;
  }
  return hood.centre;
}

City BuildCity(const CityOptions& options, Rng& rng) {
  City city;
  city.radius_km = std::max(options.radius_km, 0.1);
  const double r = city.radius_km;
  const size_t place_count = static_cast<size_t>(std::max(options.places, 1));

  // A dense centre plus a few neighbourhoods of different sizes.
  const size_t hood_count = std::clamp<size_t>(place_count / 300 + 3, 3, 12);
  city.hoods.push_back({UniformInDisc(0.1 * r, rng), 0.12 * r, 2.0});
  while (city.hoods.size() < hood_count) {
    const Point centre = UniformInDisc(0.75 * r, rng);
    city.hoods.push_back({centre, r * (0.05 + 0.08 * rng.Uniform()), 0.4 + rng.Uniform()});
  }
  std::vector<double> hood_weights;
  for (const Neighbourhood& hood : city.hoods) hood_weights.push_back(hood.weight);
  city.hood_sums = RunningSums(hood_weights);

  std::vector<double> activity_weights;
  for (size_t a = 0; a < kActivityCount; ++a) activity_weights.push_back(ZipfWeight(a));
  const std::vector<double> activity_sums = RunningSums(activity_weights);

  const double kmlat = kKmPerDegree;
  const double kmlon = kKmPerDegree * std::cos(options.center_lat * 3.14159265358979323846 / 180);
  city.by_activity.resize(kActivityCount);
  for (size_t i = 0; i < place_count; ++i) {
    Place place;
    // 1 place in 10 lies anywhere in the city; the rest in neighbourhoods.
    place.at = rng.Chance(0.1) ? UniformInDisc(r * kRadiusMargin, rng) : NearHood(city, 1.0, rng);
    place.lat = options.center_lat + place.at.y / kmlat;
    place.lon = options.center_lon + place.at.x / kmlon;
    // The first places cover every activity once; the rest follow the Zipf frequencies.
    place.activity = i < kActivityCount ? i : Pick(activity_sums, rng);
    // Foursquare venue ids are MongoDB ObjectIds: a creation time (2009-2012) and random bits.
    AppendHex(1230768000 + rng.Below(100000000), 8, place.id);
    AppendHex(rng.Next(), 16, place.id);
    city.by_activity[place.activity].push_back(i);
    city.places.push_back(std::move(place));
  }
  // Popularity within an activity is Zipf over the (random) order in which places were made.
  for (const std::vector<size_t>& members : city.by_activity) {
    std::vector<double> weights;
    for (size_t rank = 0; rank < members.size(); ++rank) weights.push_back(ZipfWeight(rank));
    city.popularity.push_back(RunningSums(weights));
  }
  return city;
}

// ---------------------------------------------------------------------------------------------
// Users and their choices.

struct Favourites {
  size_t activity;
  std::vector<size_t> places;
};

struct User {
  Point home, work, last;
  std::vector<size_t> activities;  // what this user does at all
  std::vector<double> taste;       // weight of each of those activities
  std::vector<Favourites> favourites;
  double volume = 1;  // relative number of check-ins
};

std::vector<User> MakeUsers(const City& city, size_t count, Rng& rng) {
  std::vector<size_t> available;  // activities that have at least one place
  std::vector<double> weights;
  for (size_t a = 0; a < kActivityCount; ++a) {
    if (!city.by_activity[a].empty()) {
      available.push_back(a);
      weights.push_back(ZipfWeight(a));
    }
  }
  std::vector<User> users(count);
  for (User& user : users) {
    user.home = rng.Chance(0.3) ? UniformInDisc(city.radius_km * kRadiusMargin, rng)
                                : NearHood(city, 1.5, rng);
    user.work = NearHood(city, 1.0, rng);
    user.last = user.home;
    // Each user does 35% of the activities (at least one), each with a personal taste around
    // its global frequency.
    for (size_t k = 0; k < available.size(); ++k) {
      if (rng.Chance(0.35)) {
        user.activities.push_back(available[k]);
        user.taste.push_back(weights[k] * (0.25 + 1.5 * rng.Uniform()));
      }
    }
    if (user.activities.empty()) {
      user.activities.push_back(available[0]);
      user.taste.push_back(weights[0]);
    }
    // Heavy-tailed activity: the busiest users check in ~10x as often as the quietest.
    user.volume = 1.0 / (0.1 + rng.Uniform());
  }
  return users;
}

// One place of `activity` near `anchor`: a handful of candidates drawn by popularity (or
// uniformly, for private places), then one of them by distance decay with scale `scale_km`.
size_t Explore(const City& city, size_t activity, Point anchor, double scale_km, Rng& rng) {
  const std::vector<size_t>& members = city.by_activity[activity];
  const bool personal = kActivities[activity].personal;
  constexpr int kCandidates = 24;
  std::array<size_t, kCandidates> candidates{};
  std::array<double, kCandidates> sums{};
  double total = 0;
  for (int i = 0; i < kCandidates; ++i) {
    // Odd candidates ignore popularity, so that distance (not only fame) shapes the choice.
    const bool by_popularity = !personal && i % 2 == 0;
    const size_t rank =
        by_popularity ? Pick(city.popularity[activity], rng) : rng.Below(members.size());
    candidates[i] = members[rank];
    const double d = Distance(city.places[candidates[i]].at, anchor) / scale_km;
    sums[i] = total += 1.0 / (1.0 + d * d);
  }
  const double target = rng.Uniform() * total;
  for (int i = 0; i < kCandidates; ++i) {
    if (target < sums[i]) return candidates[i];
  }
  return candidates[kCandidates - 1];
}

size_t ChoosePlace(const City& city, User& user, size_t activity, Rng& rng) {
  const ActivitySpec& spec = kActivities[activity];
  auto fav = std::find_if(user.favourites.begin(), user.favourites.end(),
                          [activity](const Favourites& f) { return f.activity == activity; });
  if (fav == user.favourites.end()) {
    // First time: settle on a usual place close to home (or to work, for work places). More
    // favourites come from discoveries (below).
    const Point anchor = spec.rhythm == Rhythm::kWork ? user.work : user.home;
    user.favourites.push_back({activity, {Explore(city, activity, anchor, 1.5, rng)}});
    fav = user.favourites.end() - 1;
  }
  size_t place;
  if (rng.Chance(spec.loyalty)) {
    // The first favourite is the usual one; the others (and adopted discoveries) share the rest.
    const std::vector<size_t>& favs = fav->places;
    place = favs.size() == 1 || rng.Chance(0.6) ? favs[0] : favs[1 + rng.Below(favs.size() - 1)];
  } else {
    // Exploring: near where the user just was, or near home.
    const Point anchor = rng.Chance(0.6) ? user.last : user.home;
    place = Explore(city, activity, anchor, 3.0, rng);
    // A discovery may become a habit: it joins the places the user returns to, up to a few.
    std::vector<size_t>& known = fav->places;
    if (known.size() < static_cast<size_t>(spec.favourites) && rng.Chance(0.5) &&
        std::find(known.begin(), known.end(), place) == known.end()) {
      known.push_back(place);
    }
  }
  user.last = city.places[place].at;
  return place;
}

// ---------------------------------------------------------------------------------------------
// Time.

struct Event {
  int64_t time_s;
  size_t seq;  // generation order: a total, portable order for equal times
  size_t user;
  size_t activity;
};

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// "Tue Apr 03 18:00:09 +0000 2012" for UTC seconds since the epoch.
void AppendCheckinTime(int64_t epoch_s, std::string& out) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int64_t days = FloorDiv(epoch_s, 86400);
  const int64_t secs = epoch_s - days * 86400;
  // civil_from_days (H. Hinnant): proleptic Gregorian date of a day count.
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const auto two = [&out](int64_t v) {
    out += static_cast<char>('0' + v / 10);
    out += static_cast<char>('0' + v % 10);
  };
  out += kDays[(days % 7 + 11) % 7];  // 1970-01-01 was a Thursday
  out += ' ';
  out += kMonths[month - 1];
  out += ' ';
  two(day);
  out += ' ';
  two(secs / 3600);
  out += ':';
  two(secs / 60 % 60);
  out += ':';
  two(secs % 60);
  out += " +0000 ";
  out += std::to_string(year);
}

void AppendFixed(double value, std::string& out) {
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 6);
  out.append(buffer, result.ptr);
}

}  // namespace

void WriteCheckins(const CityOptions& options, std::ostream& out) {
  Rng place_rng(options.seed, 1), user_rng(options.seed, 2), time_rng(options.seed, 3),
      choice_rng(options.seed, 4);
  const City city = BuildCity(options, place_rng);
  std::vector<User> users =
      MakeUsers(city, static_cast<size_t>(std::max(options.users, 1)), user_rng);
  std::vector<double> volumes;
  for (const User& user : users) volumes.push_back(user.volume);
  const std::vector<double> user_sums = RunningSums(volumes);
  const std::vector<double> hour_sums =
      RunningSums(std::vector<double>(kHourWeights.begin(), kHourWeights.end()));

  // When: a user (by volume), a day, a local hour (by the daily rhythm), an activity (by the
  // user's taste and the rhythm of the hour). Users average 0.7 check-ins a day.
  const size_t count = static_cast<size_t>(std::max(options.checkins, 0));
  const int64_t days = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(static_cast<double>(count) / (0.7 * users.size()))));
  const int64_t tz_s = int64_t{kTzOffsetMinutes} * 60;
  const int64_t first_local_day = FloorDiv(options.start_epoch_s + tz_s, 86400);
  std::vector<Event> events;
  events.reserve(count);
  const RhythmTable rhythms;
  std::vector<double> taste_sums;
  for (size_t seq = 0; seq < count; ++seq) {
    Event event{0, seq, Pick(user_sums, time_rng), 0};
    int64_t day = 0;
    int hour = 0;
    do {
      day = static_cast<int64_t>(time_rng.Below(static_cast<size_t>(days)));
      hour = static_cast<int>(Pick(hour_sums, time_rng));
      const int64_t local_s = (first_local_day + day) * 86400 + hour * 3600 +
                              static_cast<int64_t>(time_rng.Below(3600));
      event.time_s = local_s - tz_s;
    } while (event.time_s < options.start_epoch_s);
    const int64_t weekday = ((first_local_day + day) % 7 + 11) % 7;  // 0 = Sunday
    const bool weekend = weekday == 0 || weekday == 6;
    const User& user = users[event.user];
    taste_sums.clear();
    double total = 0;
    for (size_t k = 0; k < user.activities.size(); ++k) {
      const Rhythm rhythm = kActivities[user.activities[k]].rhythm;
      taste_sums.push_back(total += user.taste[k] * rhythms.Factor(rhythm, hour, weekend));
    }
    event.activity = user.activities[Pick(taste_sums, time_rng)];
    events.push_back(event);
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.time_s != b.time_s ? a.time_s < b.time_s : a.seq < b.seq;
  });
  if (!events.empty()) events.front().time_s = options.start_epoch_s;

  // Where: in time order, so favourites and "where the user just was" evolve as in life.
  std::vector<std::string> category_ids;
  for (const ActivitySpec& spec : kActivities) category_ids.push_back(CategoryId(spec.name));
  std::string line;
  for (const Event& event : events) {
    const size_t p = ChoosePlace(city, users[event.user], event.activity, choice_rng);
    const Place& place = city.places[p];
    line.clear();
    line += std::to_string(event.user + 1);
    line += '\t';
    line += place.id;
    line += '\t';
    line += category_ids[place.activity];
    line += '\t';
    line += kActivities[place.activity].name;
    line += '\t';
    AppendFixed(place.lat, line);
    line += '\t';
    AppendFixed(place.lon, line);
    line += '\t';
    line += std::to_string(kTzOffsetMinutes);
    line += '\t';
    AppendCheckinTime(event.time_s, line);
    line += '\n';
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
  }
}

}  // namespace locus::synth
