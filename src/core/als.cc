#include "src/core/als.h"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

namespace locus {
namespace {

using Matrix = AlsModel::Matrix;
using Vector = AlsModel::Vector;

// One row of the interaction matrix: the other side's index and the confidence.
struct Entry {
  uint32_t other;
  float confidence;
};
// Compressed rows: entries of row r are [start[r], start[r + 1]).
struct Rows {
  std::vector<size_t> start;
  std::vector<Entry> entries;
};

Rows MakeRows(size_t n, const std::vector<Interactions::Pair>& pairs, bool by_user, double alpha) {
  Rows r;
  r.start.assign(n + 1, 0);
  for (const auto& p : pairs) ++r.start[(by_user ? p.user : p.place) + 1];
  for (size_t i = 0; i < n; ++i) r.start[i + 1] += r.start[i];
  r.entries.resize(pairs.size());
  std::vector<size_t> fill(r.start.begin(), r.start.end() - 1);
  for (const auto& p : pairs) {
    const uint32_t row = by_user ? p.user : p.place;
    const float c = 1.0f + static_cast<float>(alpha) * std::log1p(std::max(0.0f, p.count));
    r.entries[fill[row]++] = Entry{by_user ? p.place : p.user, c};
  }
  return r;
}

uint64_t Mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Small deterministic starting vectors from the ids, so results do not depend on input order.
void Initialise(Matrix& m, const auto& ids, uint64_t salt) {
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    uint64_t state = ids[static_cast<size_t>(j)].hash() ^ salt;
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      state = Mix(state);
      m(i, j) = 0.01f * (static_cast<float>(state >> 40) / static_cast<float>(1ULL << 24) * 2 - 1);
    }
  }
}

// Runs fn(begin, end) over [0, n) split into `threads` contiguous ranges.
template <class Fn>
void ParallelRanges(size_t n, int threads, Fn fn) {
  const size_t t = static_cast<size_t>(std::max(1, threads));
  if (t == 1 || n < 2 * t) {
    fn(size_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  const size_t chunk = (n + t - 1) / t;
  for (size_t begin = 0; begin < n; begin += chunk) {
    pool.emplace_back(fn, begin, std::min(n, begin + chunk));
  }
  for (std::thread& th : pool) th.join();
}

// Solves the columns of `x` given the fixed `y` by a few warm-started CG steps on
// (Y Y^T + reg I + sum_i (c_i - 1) y_i y_i^T) x = sum_i c_i y_i.
void SolveSide(Matrix& x, const Matrix& y, const Rows& rows, const AlsOptions& o) {
  Matrix gram = y * y.transpose();
  gram.diagonal().array() += static_cast<float>(o.regularization);
  ParallelRanges(static_cast<size_t>(x.cols()), o.threads, [&](size_t begin, size_t end) {
    Vector r(x.rows()), p(x.rows()), ap(x.rows());
    for (size_t u = begin; u < end; ++u) {
      auto xu = x.col(static_cast<Eigen::Index>(u));
      const size_t from = rows.start[u], to = rows.start[u + 1];
      if (from == to) {
        xu.setZero();
        continue;
      }
      r.noalias() = -gram * xu;
      for (size_t k = from; k < to; ++k) {
        const auto yi = y.col(rows.entries[k].other);
        const float c = rows.entries[k].confidence;
        r += (c - (c - 1) * yi.dot(xu)) * yi;
      }
      p = r;
      float rs_old = r.squaredNorm();
      for (int step = 0; step < o.cg_steps && rs_old > 1e-20f; ++step) {
        ap.noalias() = gram * p;
        for (size_t k = from; k < to; ++k) {
          const auto yi = y.col(rows.entries[k].other);
          ap += (rows.entries[k].confidence - 1) * yi.dot(p) * yi;
        }
        const float alpha = rs_old / p.dot(ap);
        xu += alpha * p;
        r -= alpha * ap;
        const float rs_new = r.squaredNorm();
        p = r + (rs_new / rs_old) * p;
        rs_old = rs_new;
      }
    }
  });
}

double Loss(const Interactions& data, const Matrix& xs, const Matrix& y, const AlsOptions& o) {
  // Every cell counts (x.y)^2 with confidence 1; observed ones are corrected to c (1 - x.y)^2.
  const Matrix gram = y * y.transpose();
  double loss = 0;
  for (Eigen::Index u = 0; u < xs.cols(); ++u) {
    loss += static_cast<double>(xs.col(u).dot(gram * xs.col(u)));
  }
  for (const auto& p : data.pairs) {
    const double s = xs.col(p.user).dot(y.col(p.place));
    const double c = 1.0 + o.alpha * std::log1p(std::max(0.0f, p.count));
    loss += c * (1 - s) * (1 - s) - s * s;
  }
  loss += o.regularization *
          (static_cast<double>(xs.squaredNorm()) + static_cast<double>(y.squaredNorm()));
  return loss;
}

}  // namespace

std::shared_ptr<const AlsModel> AlsModel::Train(const Interactions& data, const AlsOptions& o,
                                                std::string version,
                                                std::vector<double>* loss_per_iteration) {
  // Users, places and pairs in id order, so that every sum runs in the same order whatever
  // order they came in (and a model restored from its place vectors computes the same).
  Interactions d;
  std::vector<uint32_t> user_at(data.users.size()), place_at(data.places.size());
  {
    std::vector<uint32_t> order(data.users.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return data.users[a] < data.users[b]; });
    for (uint32_t i = 0; i < order.size(); ++i) {
      user_at[order[i]] = i;
      d.users.push_back(data.users[order[i]]);
    }
    order.resize(data.places.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return data.places[a] < data.places[b]; });
    for (uint32_t i = 0; i < order.size(); ++i) {
      place_at[order[i]] = i;
      d.places.push_back(data.places[order[i]]);
    }
  }
  d.pairs.reserve(data.pairs.size());
  for (const auto& p : data.pairs) d.pairs.push_back({user_at[p.user], place_at[p.place], p.count});
  std::sort(d.pairs.begin(), d.pairs.end(), [](const auto& a, const auto& b) {
    return a.user != b.user ? a.user < b.user : a.place < b.place;
  });
  const std::vector<Interactions::Pair>& pairs = d.pairs;

  auto m = std::shared_ptr<AlsModel>(new AlsModel());
  m->version_ = std::move(version);
  m->options_ = o;
  m->ids_ = d.places;
  m->Index();
  const int f = std::max(1, o.factors);
  Matrix x(f, static_cast<Eigen::Index>(d.users.size()));
  m->y_ = Matrix(f, static_cast<Eigen::Index>(d.places.size()));
  Initialise(x, d.users, 0x5553455255534552ULL);
  Initialise(m->y_, d.places, 0x504c414345504cULL);
  const Rows by_user = MakeRows(d.users.size(), pairs, true, o.alpha);
  const Rows by_place = MakeRows(d.places.size(), pairs, false, o.alpha);
  for (int it = 0; it < o.iterations; ++it) {
    SolveSide(x, m->y_, by_user, o);
    SolveSide(m->y_, x, by_place, o);
    if (loss_per_iteration != nullptr) loss_per_iteration->push_back(Loss(d, x, m->y_, o));
  }
  m->yty_ = m->y_ * m->y_.transpose();
  return m;
}

std::shared_ptr<const AlsModel> AlsModel::FromPlaces(
    std::string version, const AlsOptions& o, std::vector<std::pair<PlaceId, Vector>> places) {
  auto m = std::shared_ptr<AlsModel>(new AlsModel());
  m->version_ = std::move(version);
  m->options_ = o;
  std::sort(places.begin(), places.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  m->y_ = Matrix(o.factors, static_cast<Eigen::Index>(places.size()));
  for (size_t i = 0; i < places.size(); ++i) {
    m->ids_.push_back(places[i].first);
    if (places[i].second.size() == o.factors) {
      m->y_.col(static_cast<Eigen::Index>(i)) = places[i].second;
    } else {
      m->y_.col(static_cast<Eigen::Index>(i)).setZero();
    }
  }
  m->Index();
  m->yty_ = m->y_ * m->y_.transpose();
  return m;
}

void AlsModel::Index() {
  index_.clear();
  index_.reserve(ids_.size());
  for (uint32_t i = 0; i < ids_.size(); ++i) index_.emplace(ids_[i], i);
}

const float* AlsModel::PlaceVector(const PlaceId& place) const {
  auto it = index_.find(place);
  return it == index_.end() ? nullptr : y_.col(it->second).data();
}

std::optional<Vector> AlsModel::FoldIn(
    const std::vector<std::pair<PlaceId, double>>& history) const {
  const int f = options_.factors;
  Matrix a = yty_;
  a.diagonal().array() += static_cast<float>(options_.regularization);
  Vector b = Vector::Zero(f);
  bool any = false;
  for (const auto& [place, count] : history) {
    const float* v = PlaceVector(place);
    if (v == nullptr) continue;
    any = true;
    const Eigen::Map<const Vector> yi(v, f);
    const float c =
        1.0f + static_cast<float>(options_.alpha) * std::log1p(static_cast<float>(count));
    a.noalias() += (c - 1) * yi * yi.transpose();
    b += c * yi;
  }
  if (!any) return std::nullopt;
  return Vector(a.ldlt().solve(b));
}

std::string AlsModel::EncodeVector(const float* v, int n) {
  std::string out(sizeof(float) * static_cast<size_t>(n), '\0');
  std::memcpy(out.data(), v, out.size());
  return out;
}

bool AlsModel::DecodeVector(std::string_view bytes, Vector& v) {
  if (bytes.empty() || bytes.size() % sizeof(float) != 0) return false;
  v.resize(static_cast<Eigen::Index>(bytes.size() / sizeof(float)));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return true;
}

}  // namespace locus
