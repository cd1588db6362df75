// Explicit-rating evaluation on the UCI "Restaurant & consumer data" (shared/data/README.md,
// `uci_restaurants/`): RMSE and MAE of predicted 0..2 ratings on a seeded 80/20 split, for a
// global-mean baseline, a user+item-bias baseline and locus's own rating model.
//
// Everything here is pure except LoadRatings / EvaluateRatings (read files) and
// WriteRatingsReport (writes one). Nothing keeps state between calls; all functions are
// thread-compatible. Every random choice is splitmix64 of a row index, so results are the same
// bytes on every platform and compiler.
#pragma once

#include "src/core/status.h"
#include "src/core/types.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace locus::eval {

// ---- Input -------------------------------------------------------------------------------

// Parses CSV bytes (RFC 4180): fields split by ',', records by LF or CRLF; a field that starts
// with '"' runs to the closing quote and may hold ',', newlines and "" (one quote). Bytes are
// kept as they are: no decoding, so Latin-1 and UTF-8 names both survive. A final newline
// adds no empty record. Error on a quote left open at the end of input.
Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view bytes);

struct RatingRow {
  uint32_t user = 0;   // index into RatingsData::users
  uint32_t place = 0;  // index into RatingsData::places
  double rating = 0;   // overall rating, 0..2
  double food = 0;     // food_rating, 0..2
  double service = 0;  // service_rating, 0..2
};

// The rating table with its side information, users and places numbered by first appearance
// in rating_final.csv (places only in side files are ignored).
struct RatingsData {
  std::vector<RatingRow> rows;           // file order
  std::vector<std::string> users;        // "U1077"
  std::vector<std::string> places;       // "135085"
  std::vector<std::string> place_names;  // bytes as in geoplaces2.csv ("" if absent)
  std::vector<std::optional<GeoPoint>> place_position;
  // Cuisines are the places' activities (chefmozcuisine.csv); places without one have none.
  std::vector<std::string> cuisines;
  std::vector<std::vector<uint32_t>> place_cuisines;
  // One-hot place attributes from geoplaces2.csv ("price=low"): for each attribute column in
  // kPlaceAttributeColumns, one indicator per value except the first in byte order.
  std::vector<std::string> attributes;
  std::vector<std::vector<uint32_t>> place_attributes;
  // Optional side information: preferred cuisines (usercuisine.csv) and home coordinates
  // (userprofile.csv). Empty / nullopt when the file or the user's row is absent.
  std::vector<std::vector<uint32_t>> user_cuisines;
  std::vector<std::optional<GeoPoint>> user_home;
};

inline constexpr const char* kPlaceAttributeColumns[] = {
    "alcohol",   "smoking_area", "dress_code", "accessibility", "price",
    "Rambience", "franchise",    "area",       "other_services"};

// Builds RatingsData from file contents (empty views for absent optional files).
// rating_final is required; the rest may be empty. Errors name the file and record.
struct RatingsFiles {
  std::string_view rating_final, geoplaces, chefmozcuisine, usercuisine, userprofile;
};
Result<RatingsData> ParseRatings(const RatingsFiles& files);
// Reads DIR/rating_final.csv (required) and the side files if present, as bytes.
Result<RatingsData> LoadRatings(const std::string& dir);
// True when `path` is a directory holding rating_final.csv.
bool IsRatingsDir(const std::string& path);

// ---- Split and metrics -------------------------------------------------------------------

inline constexpr uint64_t kRatingsSeed = 42;

// Row indices of each side, ascending. Rows are ordered by splitmix64((seed << 32) + row),
// ascending; the first floor(0.8 × n) are training rows, the rest test rows.
struct RatingsSplit {
  std::vector<uint32_t> train;
  std::vector<uint32_t> test;
};
RatingsSplit SplitRatings(size_t n, uint64_t seed = kRatingsSeed);

struct ErrorMetrics {
  int64_t n = 0;
  double rmse = 0;  // sqrt(mean((p - y)^2)); 0 when n = 0
  double mae = 0;   // mean(|p - y|); 0 when n = 0
};
// Requires predicted.size() == actual.size().
ErrorMetrics ScoreRatings(std::span<const double> predicted, std::span<const double> actual);

// ---- Models ------------------------------------------------------------------------------

// Which of a row's three ratings a model fits: &RatingRow::rating, ::food or ::service.
using Criterion = double RatingRow::*;

// Baseline predictors (Koren 2010, eq. 2): r ≈ mu + b_user + b_place, fitted by alternating
// closed-form ridge passes (place biases first, from zero) with shrinkage `lambda` towards 0.
struct BiasOptions {
  double lambda = 10;  // pseudo-ratings of shrinkage per bias; Koren's order of magnitude
  int passes = 10;     // alternating passes; converges in a few on this data
};
struct BiasModel {
  double mu = 0;
  std::vector<double> user;   // by user index; 0 for users without training rows
  std::vector<double> place;  // by place index
  double Predict(uint32_t u, uint32_t p) const { return mu + user[u] + place[p]; }
};
BiasModel FitBiases(const RatingsData& data, std::span<const uint32_t> rows,
                    Criterion criterion = &RatingRow::rating, const BiasOptions& options = {});

// locus's rating model: a ridge regression on features of (user, place) computed from the
// training rows only: the user's and place's rating, food and service biases; the user's
// residual affinity to the place's cuisines and whether they are among the user's preferred
// cuisines; log(1 + km) from the user's home to the place; the place's attributes. The
// weights are fitted on out-of-fold features (each training row's features come from the
// other folds) so they are not fooled by a row explaining itself. Predictions clip to [0, 2].
// Every setting is a fixed default, checked only on inner splits of the training rows.
struct LocusRatingOptions {
  BiasOptions bias;  // for every bias feature
  int folds = 5;     // out-of-fold feature folds: splitmix64((fold_seed << 32) + row) % folds
  uint64_t fold_seed = 99;
  double ridge = 1.0;         // L2 on every weight but the intercept
  double affinity_prior = 2;  // pseudo-count shrinking a (user, cuisine) mean residual to 0
};
class LocusRatingModel {
 public:
  static LocusRatingModel Fit(const RatingsData& data, std::span<const uint32_t> train,
                              const LocusRatingOptions& options = {});
  double Predict(uint32_t user, uint32_t place) const;
  const std::vector<double>& weights() const { return weights_; }
  static std::vector<std::string> FeatureNames(const RatingsData& data);

  struct Evidence;  // what the training rows say, from which features are computed

 private:
  const RatingsData* data_ = nullptr;  // not owned; must outlive the model
  LocusRatingOptions options_;
  std::vector<double> weights_;
  std::shared_ptr<const Evidence> evidence_;
};

// ---- The whole evaluation ----------------------------------------------------------------

struct RatingsMethod {
  std::string name;  // "global_mean", "bias", "locus"
  ErrorMetrics test;
};
struct RatingsReport {
  std::string dataset = "uci_restaurants";
  uint64_t seed = kRatingsSeed;
  int64_t users = 0, places = 0, cuisines = 0;
  int64_t n_train = 0, n_test = 0;
  std::vector<RatingsMethod> methods;
};
RatingsReport EvaluateRatings(const RatingsData& data, uint64_t seed = kRatingsSeed);
Result<RatingsReport> EvaluateRatings(const std::string& dir);

// | method | RMSE | MAE | n_train | n_test |
void PrintRatingsTable(const RatingsReport& report, std::ostream& out);
// {"dataset":"uci_restaurants","split":{"seed","train","test"},"methods":{NAME:{"rmse","mae"}}}
std::string RatingsJson(const RatingsReport& report);
// Writes DIR/ratings.json (creating DIR).
Status WriteRatingsReport(const RatingsReport& report, const std::string& dir);

}  // namespace locus::eval
