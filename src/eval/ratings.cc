#include "src/eval/ratings.h"

#include "src/core/geo.h"
#include "src/eval/replay.h"

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

namespace locus::eval {
namespace {

using Records = std::vector<std::vector<std::string>>;

// A parsed CSV file with a header, and where its required columns are.
struct Table {
  Records rows;
  std::map<std::string, size_t> column;
};

Result<Table> ReadTable(std::string_view bytes, const std::string& file,
                        std::initializer_list<const char*> required) {
  auto records = ParseCsv(bytes);
  if (!records.ok()) return Status::Error(file + ": " + records.error());
  if (records->empty()) return Status::Error(file + ": no header");
  Table t;
  for (size_t i = 0; i < (*records)[0].size(); ++i) t.column[(*records)[0][i]] = i;
  for (const char* name : required) {
    if (!t.column.contains(name)) return Status::Error(file + ": no column '" + name + "'");
  }
  for (size_t r = 1; r < records->size(); ++r) {
    if ((*records)[r].size() != (*records)[0].size()) {
      return Status::Error(file + ": record " + std::to_string(r) + " has " +
                           std::to_string((*records)[r].size()) + " fields, the header " +
                           std::to_string((*records)[0].size()));
    }
    t.rows.push_back(std::move((*records)[r]));
  }
  return t;
}

std::optional<double> Number(const std::string& s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<GeoPoint> Position(const std::string& lat, const std::string& lon) {
  auto a = Number(lat), b = Number(lon);
  if (!a || !b || !ValidPosition({*a, *b})) return std::nullopt;
  return GeoPoint{*a, *b};
}

uint32_t Intern(std::vector<std::string>& names, std::unordered_map<std::string, uint32_t>& ids,
                const std::string& name) {
  auto [it, fresh] = ids.try_emplace(name, static_cast<uint32_t>(names.size()));
  if (fresh) names.push_back(name);
  return it->second;
}

// Fills place names, positions and one-hot attributes from geoplaces2.csv.
Status ReadPlaces(std::string_view bytes, const std::unordered_map<std::string, uint32_t>& ids,
                  RatingsData& d) {
  if (bytes.empty()) return Status::Ok();
  auto t = ReadTable(bytes, "geoplaces2.csv", {"placeID", "latitude", "longitude"});
  if (!t.ok()) return t.status();
  for (const char* col : kPlaceAttributeColumns) {
    auto c = t->column.find(col);
    if (c == t->column.end()) continue;
    std::set<std::string> values;
    for (const auto& row : t->rows) values.insert(row[c->second]);
    std::map<std::string, uint32_t> index;  // every value but the first (the reference level)
    for (auto v = std::next(values.begin(), values.empty() ? 0 : 1); v != values.end(); ++v) {
      index[*v] = static_cast<uint32_t>(d.attributes.size());
      d.attributes.push_back(std::string(col) + "=" + *v);
    }
    for (const auto& row : t->rows) {
      auto p = ids.find(row[t->column["placeID"]]);
      auto a = index.find(row[c->second]);
      if (p != ids.end() && a != index.end()) d.place_attributes[p->second].push_back(a->second);
    }
  }
  for (const auto& row : t->rows) {
    auto p = ids.find(row[t->column["placeID"]]);
    if (p == ids.end()) continue;
    d.place_position[p->second] = Position(row[t->column["latitude"]], row[t->column["longitude"]]);
    if (t->column.contains("name")) d.place_names[p->second] = row[t->column["name"]];
  }
  return Status::Ok();
}

// Reads a (userID or placeID, Rcuisine) file into `out`, interning cuisines.
Status ReadCuisines(std::string_view bytes, const std::string& file, const char* key,
                    const std::unordered_map<std::string, uint32_t>& ids,
                    std::unordered_map<std::string, uint32_t>& cuisine_ids, RatingsData& d,
                    std::vector<std::vector<uint32_t>>& out) {
  if (bytes.empty()) return Status::Ok();
  auto t = ReadTable(bytes, file, {key, "Rcuisine"});
  if (!t.ok()) return t.status();
  for (const auto& row : t->rows) {
    auto it = ids.find(row[t->column[key]]);
    if (it == ids.end()) continue;
    const uint32_t c = Intern(d.cuisines, cuisine_ids, row[t->column["Rcuisine"]]);
    if (std::find(out[it->second].begin(), out[it->second].end(), c) == out[it->second].end()) {
      out[it->second].push_back(c);
    }
  }
  return Status::Ok();
}

// Fills home coordinates from userprofile.csv ("?" or out of range: none).
Status ReadHomes(std::string_view bytes, const std::unordered_map<std::string, uint32_t>& ids,
                 RatingsData& d) {
  if (bytes.empty()) return Status::Ok();
  auto t = ReadTable(bytes, "userprofile.csv", {"userID", "latitude", "longitude"});
  if (!t.ok()) return t.status();
  for (const auto& row : t->rows) {
    auto u = ids.find(row[t->column["userID"]]);
    if (u != ids.end()) {
      d.user_home[u->second] = Position(row[t->column["latitude"]], row[t->column["longitude"]]);
    }
  }
  return Status::Ok();
}

Result<std::string> ReadBytes(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Error("cannot read " + path.string());
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

double Clip(double v) { return std::clamp(v, 0.0, 2.0); }

}  // namespace

Result<Records> ParseCsv(std::string_view b) {
  Records records;
  const size_t n = b.size();
  auto line_end = [&](size_t i) {
    return b[i] == '\n' || (b[i] == '\r' && i + 1 < n && b[i + 1] == '\n');
  };
  size_t i = 0;
  while (i < n) {
    std::vector<std::string> record;
    while (true) {
      std::string field;
      if (i < n && b[i] == '"') {
        const size_t open = i++;
        while (true) {
          if (i >= n)
            return Status::Error("quote opened at byte " + std::to_string(open) + " never closes");
          if (b[i] != '"') {
            field += b[i++];
          } else if (i + 1 < n && b[i + 1] == '"') {
            field += '"';
            i += 2;
          } else {
            ++i;
            break;
          }
        }
      }
      while (i < n && b[i] != ',' && !line_end(i)) field += b[i++];  // (after a quote: lenient)
      record.push_back(std::move(field));
      if (i < n && b[i] == ',') {
        ++i;
        continue;
      }
      if (i < n) i += b[i] == '\r' ? 2 : 1;
      break;
    }
    if (record.size() > 1 || !record[0].empty()) records.push_back(std::move(record));
  }
  return records;
}

Result<RatingsData> ParseRatings(const RatingsFiles& files) {
  auto t = ReadTable(files.rating_final, "rating_final.csv",
                     {"userID", "placeID", "rating", "food_rating", "service_rating"});
  if (!t.ok()) return t.status();
  RatingsData d;
  std::unordered_map<std::string, uint32_t> user_ids, place_ids, cuisine_ids;
  for (size_t r = 0; r < t->rows.size(); ++r) {
    const auto& row = t->rows[r];
    RatingRow out;
    out.user = Intern(d.users, user_ids, row[t->column["userID"]]);
    out.place = Intern(d.places, place_ids, row[t->column["placeID"]]);
    double* dst[] = {&out.rating, &out.food, &out.service};
    const char* cols[] = {"rating", "food_rating", "service_rating"};
    for (int k = 0; k < 3; ++k) {
      const std::string& text = row[t->column[cols[k]]];
      auto v = Number(text);
      if (!v || *v < 0 || *v > 2) {
        return Status::Error("rating_final.csv record " + std::to_string(r + 1) + ": " + cols[k] +
                             " '" + text + "' is not a number in 0..2");
      }
      *dst[k] = *v;
    }
    d.rows.push_back(out);
  }
  d.place_names.assign(d.places.size(), "");
  d.place_position.assign(d.places.size(), std::nullopt);
  d.place_cuisines.assign(d.places.size(), {});
  d.place_attributes.assign(d.places.size(), {});
  d.user_cuisines.assign(d.users.size(), {});
  d.user_home.assign(d.users.size(), std::nullopt);
  // Side files are optional (empty bytes); cuisines are numbered by first appearance.
  Status s = ReadPlaces(files.geoplaces, place_ids, d);
  if (s.ok()) {
    s = ReadCuisines(files.chefmozcuisine, "chefmozcuisine.csv", "placeID", place_ids, cuisine_ids,
                     d, d.place_cuisines);
  }
  if (s.ok()) {
    s = ReadCuisines(files.usercuisine, "usercuisine.csv", "userID", user_ids, cuisine_ids, d,
                     d.user_cuisines);
  }
  if (s.ok()) s = ReadHomes(files.userprofile, user_ids, d);
  if (!s.ok()) return s;
  return d;
}

Result<RatingsData> LoadRatings(const std::string& dir) {
  namespace fs = std::filesystem;
  const char* names[] = {"rating_final.csv", "geoplaces2.csv", "chefmozcuisine.csv",
                         "usercuisine.csv", "userprofile.csv"};
  std::string bytes[5];
  for (int k = 0; k < 5; ++k) {
    const fs::path path = fs::path(dir) / names[k];
    std::error_code ec;
    if (k > 0 && !fs::exists(path, ec)) continue;  // optional side information
    auto b = ReadBytes(path);
    if (!b.ok()) return b.status();
    bytes[k] = std::move(*b);
  }
  return ParseRatings({bytes[0], bytes[1], bytes[2], bytes[3], bytes[4]});
}

bool IsRatingsDir(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec) &&
         std::filesystem::is_regular_file(std::filesystem::path(path) / "rating_final.csv", ec);
}

RatingsSplit SplitRatings(size_t n, uint64_t seed) {
  std::vector<std::pair<uint64_t, uint32_t>> keyed(n);
  for (size_t i = 0; i < n; ++i) {
    keyed[i] = {SplitMix64((seed << 32) + i), static_cast<uint32_t>(i)};
  }
  std::sort(keyed.begin(), keyed.end());  // splitmix64 is a bijection: keys are distinct
  RatingsSplit s;
  const size_t n_train = n * 8 / 10;
  for (size_t k = 0; k < n; ++k) (k < n_train ? s.train : s.test).push_back(keyed[k].second);
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.test.begin(), s.test.end());
  return s;
}

ErrorMetrics ScoreRatings(std::span<const double> predicted, std::span<const double> actual) {
  ErrorMetrics m;
  m.n = static_cast<int64_t>(predicted.size());
  if (m.n == 0) return m;
  double se = 0, ae = 0;
  for (size_t i = 0; i < predicted.size(); ++i) {
    const double e = predicted[i] - actual[i];
    se += e * e;
    ae += std::abs(e);
  }
  m.rmse = std::sqrt(se / static_cast<double>(m.n));
  m.mae = ae / static_cast<double>(m.n);
  return m;
}

BiasModel FitBiases(const RatingsData& data, std::span<const uint32_t> rows, Criterion c,
                    const BiasOptions& o) {
  BiasModel m;
  m.user.assign(data.users.size(), 0);
  m.place.assign(data.places.size(), 0);
  if (rows.empty()) return m;
  std::vector<double> n_user(data.users.size(), 0), n_place(data.places.size(), 0);
  for (uint32_t r : rows) {
    m.mu += data.rows[r].*c;
    n_user[data.rows[r].user] += 1;
    n_place[data.rows[r].place] += 1;
  }
  m.mu /= static_cast<double>(rows.size());
  std::vector<double> sum;
  for (int pass = 0; pass < o.passes; ++pass) {
    // Place biases given user biases, then user biases given place biases: each step is the
    // exact ridge minimiser of the squared error with the other side fixed.
    sum.assign(data.places.size(), 0);
    for (uint32_t r : rows) {
      const RatingRow& x = data.rows[r];
      sum[x.place] += x.*c - m.mu - m.user[x.user];
    }
    for (size_t p = 0; p < sum.size(); ++p) {
      m.place[p] = n_place[p] > 0 ? sum[p] / (o.lambda + n_place[p]) : 0;
    }
    sum.assign(data.users.size(), 0);
    for (uint32_t r : rows) {
      const RatingRow& x = data.rows[r];
      sum[x.user] += x.*c - m.mu - m.place[x.place];
    }
    for (size_t u = 0; u < sum.size(); ++u) {
      m.user[u] = n_user[u] > 0 ? sum[u] / (o.lambda + n_user[u]) : 0;
    }
  }
  return m;
}

// ---- locus's rating model ----------------------------------------------------------------

struct LocusRatingModel::Evidence {
  BiasModel rating, food, service;
  // (user << 32 | cuisine) -> (sum of rating residuals, count) over the user's rated places.
  std::unordered_map<uint64_t, std::pair<double, double>> affinity;
};

namespace {

constexpr size_t kFixedFeatures = 10;

LocusRatingModel::Evidence Gather(const RatingsData& d, std::span<const uint32_t> rows,
                                  const LocusRatingOptions& o) {
  LocusRatingModel::Evidence ev;
  ev.rating = FitBiases(d, rows, &RatingRow::rating, o.bias);
  ev.food = FitBiases(d, rows, &RatingRow::food, o.bias);
  ev.service = FitBiases(d, rows, &RatingRow::service, o.bias);
  for (uint32_t r : rows) {
    const RatingRow& x = d.rows[r];
    const double residual = x.rating - ev.rating.Predict(x.user, x.place);
    for (uint32_t c : d.place_cuisines[x.place]) {
      auto& a = ev.affinity[(uint64_t{x.user} << 32) | c];
      a.first += residual;
      a.second += 1;
    }
  }
  return ev;
}

// The features of (u, p) in the order of FeatureNames.
void Features(const RatingsData& d, const LocusRatingModel::Evidence& ev,
              const LocusRatingOptions& o, uint32_t u, uint32_t p, double* x) {
  std::fill(x, x + kFixedFeatures + d.attributes.size(), 0.0);
  x[0] = 1;
  x[1] = ev.rating.user[u];
  x[2] = ev.rating.place[p];
  x[3] = ev.food.user[u];
  x[4] = ev.service.user[u];
  x[5] = ev.food.place[p];
  x[6] = ev.service.place[p];
  int known = 0;  // x[7]: mean shrunk residual over the place's cuisines the user has rated
  for (uint32_t c : d.place_cuisines[p]) {
    const auto& liked = d.user_cuisines[u];
    if (std::find(liked.begin(), liked.end(), c) != liked.end()) x[8] = 1;
    auto it = ev.affinity.find((uint64_t{u} << 32) | c);
    if (it == ev.affinity.end()) continue;
    x[7] += it->second.first / (it->second.second + o.affinity_prior);
    ++known;
  }
  if (known > 0) x[7] /= known;
  if (d.user_home[u] && d.place_position[p]) {
    x[9] = std::log1p(HaversineKm(*d.user_home[u], *d.place_position[p]));
  }
  for (uint32_t a : d.place_attributes[p]) x[kFixedFeatures + a] = 1;
}

}  // namespace

std::vector<std::string> LocusRatingModel::FeatureNames(const RatingsData& data) {
  std::vector<std::string> names = {"intercept",          "user_bias",         "place_bias",
                                    "user_food_bias",     "user_service_bias", "place_food_bias",
                                    "place_service_bias", "cuisine_affinity",  "preferred_cuisine",
                                    "log1p_home_km"};
  for (const auto& a : data.attributes) names.push_back(a);
  return names;
}

LocusRatingModel LocusRatingModel::Fit(const RatingsData& data, std::span<const uint32_t> train,
                                       const LocusRatingOptions& options) {
  LocusRatingModel m;
  m.data_ = &data;
  m.options_ = options;
  const size_t dim = kFixedFeatures + data.attributes.size();
  const uint64_t folds = static_cast<uint64_t>(std::max(2, options.folds));
  auto fold_of = [&](uint32_t r) { return SplitMix64((options.fold_seed << 32) + r) % folds; };
  std::vector<double> xs(train.size() * dim), ys;  // out-of-fold features, row-major
  for (uint64_t k = 0; k < folds; ++k) {
    std::vector<uint32_t> rest;
    std::copy_if(train.begin(), train.end(), std::back_inserter(rest),
                 [&](uint32_t r) { return fold_of(r) != k; });
    const Evidence ev = Gather(data, rest, options);
    for (uint32_t r : train) {
      if (fold_of(r) != k) continue;
      Features(data, ev, options, data.rows[r].user, data.rows[r].place, &xs[ys.size() * dim]);
      ys.push_back(data.rows[r].rating);
    }
  }
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> x(xs.data(), static_cast<Eigen::Index>(ys.size()),
                                     static_cast<Eigen::Index>(dim));
  const Eigen::Map<const Eigen::VectorXd> y(ys.data(), static_cast<Eigen::Index>(ys.size()));
  // Ridge on every weight but the intercept; a tiny jitter keeps ridge = 0 solvable.
  Eigen::VectorXd penalty = Eigen::VectorXd::Constant(x.cols(), options.ridge + 1e-9);
  penalty(0) = 1e-9;
  const Eigen::MatrixXd a = x.transpose() * x + Eigen::MatrixXd(penalty.asDiagonal());
  const Eigen::VectorXd w = a.ldlt().solve(x.transpose() * y);
  m.weights_.assign(w.data(), w.data() + w.size());
  m.evidence_ = std::make_shared<const Evidence>(Gather(data, train, options));
  return m;
}

double LocusRatingModel::Predict(uint32_t user, uint32_t place) const {
  std::vector<double> x(weights_.size());
  Features(*data_, *evidence_, options_, user, place, x.data());
  double s = 0;
  for (size_t j = 0; j < x.size(); ++j) s += weights_[j] * x[j];
  return Clip(s);
}

// ---- The whole evaluation ----------------------------------------------------------------

RatingsReport EvaluateRatings(const RatingsData& data, uint64_t seed) {
  RatingsReport report;
  report.seed = seed;
  report.users = static_cast<int64_t>(data.users.size());
  report.places = static_cast<int64_t>(data.places.size());
  report.cuisines = static_cast<int64_t>(data.cuisines.size());
  const RatingsSplit split = SplitRatings(data.rows.size(), seed);
  report.n_train = static_cast<int64_t>(split.train.size());
  report.n_test = static_cast<int64_t>(split.test.size());

  const BiasModel bias = FitBiases(data, split.train);
  const LocusRatingModel locus = LocusRatingModel::Fit(data, split.train);
  std::vector<double> actual, global, biased, ours;
  for (uint32_t r : split.test) {
    const RatingRow& x = data.rows[r];
    actual.push_back(x.rating);
    global.push_back(Clip(bias.mu));
    biased.push_back(Clip(bias.Predict(x.user, x.place)));
    ours.push_back(locus.Predict(x.user, x.place));
  }
  report.methods = {{"global_mean", ScoreRatings(global, actual)},
                    {"bias", ScoreRatings(biased, actual)},
                    {"locus", ScoreRatings(ours, actual)}};
  return report;
}

Result<RatingsReport> EvaluateRatings(const std::string& dir) {
  auto data = LoadRatings(dir);
  if (!data.ok()) return data.status();
  return EvaluateRatings(*data);
}

void PrintRatingsTable(const RatingsReport& r, std::ostream& out) {
  out << "dataset " << r.dataset << ": " << r.n_train + r.n_test << " ratings, " << r.users
      << " users, " << r.places << " places, " << r.cuisines << " cuisines; split seed " << r.seed
      << "\n\n| method | RMSE | MAE | n_train | n_test |\n|---|---|---|---|---|\n";
  for (const RatingsMethod& m : r.methods) {
    char line[160];
    std::snprintf(line, sizeof line, "| %s | %.4f | %.4f | %lld | %lld |\n", m.name.c_str(),
                  m.test.rmse, m.test.mae, static_cast<long long>(r.n_train),
                  static_cast<long long>(m.test.n));
    out << line;
  }
}

std::string RatingsJson(const RatingsReport& r) {
  using Json = nlohmann::ordered_json;
  auto r4 = [](double v) { return std::round(v * 10000) / 10000; };
  Json j;
  j["dataset"] = r.dataset;
  j["split"] = {{"seed", r.seed}, {"train", r.n_train}, {"test", r.n_test}};
  j["methods"] = Json::object();
  for (const RatingsMethod& m : r.methods) {
    j["methods"][m.name] = {{"rmse", r4(m.test.rmse)}, {"mae", r4(m.test.mae)}};
  }
  return j.dump(2) + "\n";
}

Status WriteRatingsReport(const RatingsReport& report, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Error("cannot create " + dir + ": " + ec.message());
  const std::string path = (std::filesystem::path(dir) / "ratings.json").string();
  std::ofstream f(path, std::ios::binary);
  f << RatingsJson(report);
  f.close();
  if (!f) return Status::Error("writing " + path + " failed");
  return Status::Ok();
}

}  // namespace locus::eval
