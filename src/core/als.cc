#include "src/core/als.h"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <numeric>
#include <thread>
#include <unordered_map>

namespace locus {
namespace {

using Matrix = AlsModel::Matrix;
using Vector = AlsModel::Vector;
using MatrixD = Eigen::MatrixXd;
using VectorD = Eigen::VectorXd;

// Work is cut into blocks of a fixed number of columns whatever the thread count, threads take
// the next block from a shared counter, and a block's result depends only on its inputs: so
// the factors are bit-identical on any number of threads, and a slow thread on a busy machine
// only takes fewer blocks.
constexpr size_t kSolveBlock = 256;
constexpr size_t kGemmBlock = 2048;
// A row's vectors of the other side are gathered into a contiguous matrix at most this many at
// a time (scratch of kChunk x factors floats per thread). A row that fits is gathered once per
// solve; a longer one (a very popular place) chunk by chunk on every CG pass.
constexpr size_t kChunk = 1024;
// Rows of at most this many entries are solved exactly through an n x n system (Woodbury):
// n^2 f flops against ~18 n f for three CG steps, so no dearer for short rows, exact, and with
// no need of a starting point (the other side need not be turned into the new basis).
constexpr int kShortRow = 16;

// [0, n) in blocks of `size`, handed out to whichever thread asks next.
class Blocks {
 public:
  Blocks(size_t n, size_t size) : n_(n), size_(size) {}
  size_t count() const { return (n_ + size_ - 1) / size_; }
  bool Next(size_t& begin, size_t& end) {
    begin = next_.fetch_add(size_, std::memory_order_relaxed);
    if (begin >= n_) return false;
    end = std::min(n_, begin + size_);
    return true;
  }

 private:
  const size_t n_, size_;
  std::atomic<size_t> next_{0};
};

// Runs fn() on `threads` threads (the caller's among them) and waits for all.
template <class Fn>
void RunWorkers(int threads, const Fn& fn) {
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(fn);
  fn();
  for (std::thread& th : pool) th.join();
}

// Compressed rows: entries of row r are [start[r], start[r + 1]), each the other side's index
// and its confidence. Counts are visits plus weighted clicks, so the distinct confidences are
// few: an entry then keeps a 16-bit code of its confidence (6 bytes an entry, not 8: at 30M
// pairs the two sides' rows take 120 MB less); past 65,536 distinct ones, the confidence itself.
struct Rows {
  std::vector<size_t> start;
  std::vector<uint32_t> other;
  std::vector<uint16_t> code;     // when `levels` is not empty
  std::vector<float> levels;      // the distinct confidences, ascending
  std::vector<float> confidence;  // when `levels` is empty

  size_t size() const { return other.size(); }
  float Confidence(size_t k) const { return levels.empty() ? confidence[k] : levels[code[k]]; }
  // A key of entry k's confidence that sorts as the confidence does (a confidence is >= 1 when
  // alpha >= 0, so its bits sort as its value; any order of the keys is independent of the
  // input's, which is all the rows need).
  uint32_t Key(size_t k) const {
    return levels.empty() ? std::bit_cast<uint32_t>(confidence[k]) : code[k];
  }
  void Resize(size_t n) {
    other.resize(n);
    if (levels.empty()) {
      confidence.resize(n);
    } else {
      code.resize(n);
    }
  }
  void Set(size_t k, uint32_t other_index, uint32_t key) {
    other[k] = other_index;
    if (levels.empty()) {
      confidence[k] = std::bit_cast<float>(key);
    } else {
      code[k] = static_cast<uint16_t>(key);
    }
  }
};

float Confidence(float count, double alpha) {
  return 1.0f + static_cast<float>(alpha) * std::log1p(std::max(0.0f, count));
}

// Whether a pair's count is the one before's (most pairs have the count of the one before:
// most counts are 1), so what was derived from it holds again.
class SameCount {
 public:
  bool operator()(float count) {
    const auto bits = std::bit_cast<uint32_t>(count);
    if (known_ && bits == last_) return true;
    known_ = true;
    last_ = bits;
    return false;
  }

 private:
  bool known_ = false;
  uint32_t last_ = 0;
};

// The key (Rows::Key) of each distinct count's confidence, given as the count's bits; empty
// when there are more than 65,536 distinct confidences (`levels` is then left empty).
std::unordered_map<uint32_t, uint32_t> ConfidenceKeys(const std::vector<Interactions::Pair>& pairs,
                                                      double alpha, std::vector<float>& levels) {
  constexpr size_t kCodes = size_t{1} << 16;
  std::unordered_map<uint32_t, uint32_t> keys;
  SameCount same;
  for (const auto& p : pairs) {
    if (same(p.count)) continue;
    // Distinct counts can share a confidence (every count <= 0 is 1): a few more are allowed.
    if (keys.try_emplace(std::bit_cast<uint32_t>(p.count), 0).second && keys.size() > 4 * kCodes) {
      break;
    }
  }
  levels.clear();
  for (const auto& [bits, key] : keys) {
    levels.push_back(Confidence(std::bit_cast<float>(bits), alpha));
  }
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  if (keys.size() > 4 * kCodes || levels.size() > kCodes) {
    levels.clear();
    return {};
  }
  for (auto& [bits, key] : keys) {
    const float c = Confidence(std::bit_cast<float>(bits), alpha);
    key = static_cast<uint32_t>(std::lower_bound(levels.begin(), levels.end(), c) - levels.begin());
  }
  return keys;
}

// Rows by user (each in place order) and by place (each in user order) of the pairs, with
// users and places numbered by `user_at` and `place_at`. Equal pairs (a user and place listed
// twice) are ordered by confidence, so the rows do not depend on the order the pairs came in.
// `release` (data's pairs, when given) is freed once the rows by user hold them.
void MakeRows(const Interactions& data, const std::vector<uint32_t>& user_at,
              const std::vector<uint32_t>& place_at, double alpha, int threads, Rows& by_user,
              Rows& by_place, std::vector<Interactions::Pair>* release) {
  const size_t users = user_at.size(), places = place_at.size();
  const std::unordered_map<uint32_t, uint32_t> keys =
      ConfidenceKeys(data.pairs, alpha, by_user.levels);
  by_place.levels = by_user.levels;
  by_user.start.assign(users + 1, 0);
  for (const auto& p : data.pairs) ++by_user.start[user_at[p.user] + 1];
  for (size_t u = 0; u < users; ++u) by_user.start[u + 1] += by_user.start[u];
  by_user.Resize(data.pairs.size());
  {
    std::vector<size_t> fill(by_user.start.begin(), by_user.start.end() - 1);
    SameCount same;
    uint32_t key = 0;
    for (const auto& p : data.pairs) {
      if (!same(p.count)) {
        key = keys.empty() ? std::bit_cast<uint32_t>(Confidence(p.count, alpha))
                           : keys.at(std::bit_cast<uint32_t>(p.count));
      }
      by_user.Set(fill[user_at[p.user]]++, place_at[p.place], key);
    }
  }
  if (release != nullptr) std::vector<Interactions::Pair>().swap(*release);
  Blocks blocks(users, kGemmBlock);
  RunWorkers(threads, [&] {
    std::vector<std::pair<uint32_t, uint32_t>> row;  // (other, key)
    for (size_t b, e; blocks.Next(b, e);) {
      for (size_t u = b; u < e; ++u) {
        row.clear();
        for (size_t k = by_user.start[u]; k < by_user.start[u + 1]; ++k) {
          row.emplace_back(by_user.other[k], by_user.Key(k));
        }
        std::sort(row.begin(), row.end());
        size_t k = by_user.start[u];
        for (const auto& [other, key] : row) by_user.Set(k++, other, key);
      }
    }
  });
  by_place.start.assign(places + 1, 0);
  for (uint32_t other : by_user.other) ++by_place.start[other + 1];
  for (size_t i = 0; i < places; ++i) by_place.start[i + 1] += by_place.start[i];
  by_place.Resize(by_user.size());
  std::vector<size_t> fill(by_place.start.begin(), by_place.start.end() - 1);
  for (uint32_t u = 0; u < users; ++u) {
    for (size_t k = by_user.start[u]; k < by_user.start[u + 1]; ++k) {
      by_place.Set(fill[by_user.other[k]]++, u, by_user.Key(k));
    }
  }
}

// Indices of `ids` in id order, and the rank of every index.
template <class Id>
void Order(const std::vector<Id>& ids, std::vector<uint32_t>& order, std::vector<uint32_t>& at) {
  order.resize(ids.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return ids[a] < ids[b]; });
  at.resize(ids.size());
  for (uint32_t i = 0; i < order.size(); ++i) at[order[i]] = i;
}

uint64_t Mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Small deterministic starting vectors from the ids, so results do not depend on input order:
// column j is seeded by hash_of(j), the hash of its id.
template <class HashOf>
void Initialise(Matrix& m, const HashOf& hash_of, uint64_t salt, int threads) {
  Blocks blocks(static_cast<size_t>(m.cols()), kGemmBlock);
  RunWorkers(threads, [&] {
    for (size_t b, e; blocks.Next(b, e);) {
      for (size_t j = b; j < e; ++j) {
        uint64_t state = hash_of(j) ^ salt;
        for (Eigen::Index i = 0; i < m.rows(); ++i) {
          state = Mix(state);
          m(i, static_cast<Eigen::Index>(j)) =
              0.01f * (static_cast<float>(state >> 40) / static_cast<float>(1ULL << 24) * 2 - 1);
        }
      }
    }
  });
}

// M M^T, summed block by block in block order (in double), both triangles filled.
MatrixD Gram(const Matrix& m, int threads) {
  const Eigen::Index f = m.rows();
  Blocks blocks(static_cast<size_t>(m.cols()), kGemmBlock);
  std::vector<Matrix> partial(blocks.count());
  RunWorkers(threads, [&] {
    for (size_t b, e; blocks.Next(b, e);) {
      Matrix& g = partial[b / kGemmBlock];
      g.setZero(f, f);
      g.selfadjointView<Eigen::Lower>().rankUpdate(
          m.middleCols(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(e - b)));
    }
  });
  MatrixD lower = MatrixD::Zero(f, f);
  for (const Matrix& g : partial) lower += g.cast<double>();
  return lower.selfadjointView<Eigen::Lower>();
}

// M <- R M, block by block.
void Rotate(Matrix& m, const Matrix& r, int threads) {
  Blocks blocks(static_cast<size_t>(m.cols()), kGemmBlock);
  RunWorkers(threads, [&] {
    Matrix rotated;
    for (size_t b, e; blocks.Next(b, e);) {
      auto cols = m.middleCols(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(e - b));
      rotated.noalias() = r * cols;
      cols = rotated;
    }
  });
}

using ShortMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, kShortRow, kShortRow>;
using ShortVector = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, kShortRow, 1>;

// Per-thread scratch of the solves, allocated once per half-iteration.
struct Scratch {
  explicit Scratch(Eigen::Index f)
      : u(f, static_cast<Eigen::Index>(kChunk)),
        w(static_cast<Eigen::Index>(kChunk)),
        c(static_cast<Eigen::Index>(kChunk)),
        t(static_cast<Eigen::Index>(kChunk)),
        r(f),
        z(f),
        p(f),
        ap(f),
        diag(f),
        b(f),
        a(f, f),
        llt(f),
        v(f, kShortRow),
        dv(f, kShortRow),
        e(f) {}
  Matrix u;        // gathered vectors of the other side, one per column
  Vector w, c, t;  // per gathered vector: confidence - 1, confidence, a product
  Vector r, z, p, ap, diag, b;
  Matrix a;
  Eigen::LLT<Matrix> llt;
  MatrixD v, dv;  // short rows: the scaled vectors, and the same divided by d
  VectorD e;
  ShortMatrix m;
  ShortVector t_short;
  Eigen::LLT<ShortMatrix> llt_short;
};

// One row's entries, gathered into scratch.u chunk by chunk; a row of at most kChunk entries
// stays gathered for every pass over it.
class Gathered {
 public:
  Gathered(const Matrix& y, const Rows& rows, size_t from, size_t n, Scratch& s)
      : y_(y), rows_(rows), from_(from), n_(n), s_(s) {}

  // fn(u, w, c) for every chunk: u the vectors (columns), w = confidence - 1, c = confidence.
  template <class Fn>
  void ForChunks(const Fn& fn) {
    for (size_t from = 0; from < n_; from += kChunk) {
      const auto len = static_cast<Eigen::Index>(std::min(kChunk, n_ - from));
      if (!(from == 0 && gathered_)) {
        for (Eigen::Index k = 0; k < len; ++k) {
          const size_t at = from_ + from + static_cast<size_t>(k);
          const float c = rows_.Confidence(at);
          s_.u.col(k) = y_.col(rows_.other[at]);
          s_.c(k) = c;
          s_.w(k) = c - 1;
        }
        gathered_ = n_ <= kChunk;
      }
      fn(s_.u.leftCols(len), s_.w.head(len), s_.c.head(len));
    }
  }

 private:
  const Matrix& y_;
  const Rows& rows_;
  const size_t from_, n_;
  Scratch& s_;
  bool gathered_ = false;
};

// Solves a short row (at most kShortRow entries) exactly, in double: with V the vectors times
// sqrt(w) and b = sum_i c_i y_i, x = D^-1 b - D^-1 V (I + V^T D^-1 V)^-1 V^T D^-1 b.
void SolveShortRow(Eigen::Ref<Vector> x, Gathered& g, const VectorD& d_inv, Scratch& s) {
  g.ForChunks([&](auto u, auto w, auto c) {
    const Eigen::Index n = u.cols();
    auto v = s.v.leftCols(n);
    auto dv = s.dv.leftCols(n);
    s.e.setZero();
    for (Eigen::Index k = 0; k < n; ++k) {
      v.col(k) = u.col(k).template cast<double>();
      s.e += static_cast<double>(c(k)) * v.col(k);
      v.col(k) *= std::sqrt(static_cast<double>(w(k)));
    }
    s.e.array() *= d_inv.array();
    dv = v.array().colwise() * d_inv.array();
    s.m.resize(n, n);
    s.m.noalias() = v.transpose().lazyProduct(dv);  // tiny: no blocked product
    s.m.diagonal().array() += 1;
    s.t_short.resize(n);
    s.t_short.noalias() = v.transpose() * s.e;
    s.llt_short.compute(s.m);
    s.llt_short.solveInPlace(s.t_short);
    s.e.noalias() -= dv * s.t_short;
  });
  x = s.e.cast<float>();
}

// Solves x of (diag(d) + sum_i w_i y_i y_i^T) x = sum_i c_i y_i, w_i = c_i - 1, over a row's
// entries, where diag(d) is Y Y^T + reg I in a basis that makes it diagonal. `steps` > 0:
// that many steps of conjugate gradients preconditioned by the diagonal, warm-started from x;
// each step costs only the row's entries (no f x f product). 0: exactly, by Cholesky.
void SolveRow(Eigen::Ref<Vector> x, Gathered& g, const Vector& d, int steps, Scratch& s) {
  if (steps <= 0) {
    s.a.setZero();
    s.a.diagonal() = d;
    s.b.setZero();
    g.ForChunks([&](auto u, auto w, auto c) {
      s.b.noalias() += u * c;
      for (Eigen::Index k = 0; k < u.cols(); ++k) u.col(k) *= std::sqrt(w(k));
      s.a.selfadjointView<Eigen::Lower>().rankUpdate(u);
    });
    s.llt.compute(s.a);
    x = s.llt.solve(s.b);
    return;
  }
  // r = b - A x and the preconditioner diag(A), in one pass over the entries.
  s.r = -d.cwiseProduct(x);
  s.diag = d;
  g.ForChunks([&](auto u, auto w, auto c) {
    auto t = s.t.head(u.cols());
    t.noalias() = u.transpose() * x;
    t = c - w.cwiseProduct(t);
    s.r.noalias() += u * t;
    for (Eigen::Index k = 0; k < u.cols(); ++k) s.diag += w(k) * u.col(k).cwiseAbs2();
  });
  s.diag = s.diag.cwiseMax(1e-12f);
  s.z = s.r.cwiseQuotient(s.diag);
  s.p = s.z;
  float rz = s.r.dot(s.z);
  for (int step = 0; step < steps && rz > 1e-30f; ++step) {
    s.ap = d.cwiseProduct(s.p);
    g.ForChunks([&](auto u, auto w, auto /*c*/) {
      auto t = s.t.head(u.cols());
      t.noalias() = u.transpose() * s.p;
      t = t.cwiseProduct(w);
      s.ap.noalias() += u * t;
    });
    const float pap = s.p.dot(s.ap);
    if (!(pap > 0)) break;
    const float alpha = rz / pap;
    x += alpha * s.p;
    s.r -= alpha * s.ap;
    s.z = s.r.cwiseQuotient(s.diag);
    const float rz_new = s.r.dot(s.z);
    s.p = s.z + (rz_new / rz) * s.p;
    rz = rz_new;
  }
}

// Solves every column of `x` given the fixed `y`. Both sides are first turned into the
// eigenbasis of Y Y^T (an orthogonal change of basis: every product x.y is unchanged), which
// makes the shared part of every row's system diagonal. Returns Y Y^T's eigenvalues.
VectorD SolveSide(Matrix& x, Matrix& y, const Rows& rows, const AlsOptions& o) {
  const int threads = std::max(1, o.threads);
  const Eigen::SelfAdjointEigenSolver<MatrixD> eigen(Gram(y, threads));
  const Matrix qt = eigen.eigenvectors().transpose().cast<float>();
  Rotate(y, qt, threads);
  // Only CG starts from the current x; the exact solves need no starting point.
  bool warm = false;
  for (size_t i = 0; i + 1 < rows.start.size() && o.cg_steps > 0 && !warm; ++i) {
    warm = rows.start[i + 1] - rows.start[i] > static_cast<size_t>(kShortRow);
  }
  if (warm) Rotate(x, qt, threads);
  const VectorD lambda = eigen.eigenvalues().cwiseMax(0.0);
  const Vector d = (lambda.array() + o.regularization).cast<float>();
  const VectorD d_inv = (lambda.array() + o.regularization).max(1e-12).inverse();
  Blocks blocks(static_cast<size_t>(x.cols()), kSolveBlock);
  RunWorkers(threads, [&] {
    Scratch s(x.rows());
    for (size_t b, e; blocks.Next(b, e);) {
      for (size_t i = b; i < e; ++i) {
        auto xi = x.col(static_cast<Eigen::Index>(i));
        const size_t from = rows.start[i], n = rows.start[i + 1] - from;
        if (n == 0) {
          xi.setZero();
          continue;
        }
        Gathered g(y, rows, from, n, s);
        if (n <= static_cast<size_t>(kShortRow)) {
          SolveShortRow(xi, g, d_inv, s);
        } else {
          SolveRow(xi, g, d, o.cg_steps, s);
        }
      }
    }
  });
  return lambda;
}

// The training loss: every cell counts (x.y)^2 with confidence 1, observed ones are corrected
// to c (1 - x.y)^2, plus reg (|X|^2 + |Y|^2). `mu` are the eigenvalues of X X^T, X being in
// their eigenbasis (as SolveSide leaves it), so sum_u x_u^T Y Y^T x_u = sum_k mu_k |Y row k|^2.
double Loss(const Rows& by_user, const Matrix& x, const Matrix& y, const VectorD& mu,
            const AlsOptions& o) {
  const int threads = std::max(1, o.threads);
  double loss = 0;
  for (Eigen::Index k = 0; k < y.rows(); ++k) {
    const double row = static_cast<double>(y.row(k).squaredNorm());
    loss += mu(k) * row + o.regularization * (mu(k) + row);
  }
  Blocks blocks(static_cast<size_t>(x.cols()), kGemmBlock);
  std::vector<double> partial(blocks.count(), 0.0);
  RunWorkers(threads, [&] {
    for (size_t b, e; blocks.Next(b, e);) {
      double sum = 0;
      for (size_t u = b; u < e; ++u) {
        const auto xu = x.col(static_cast<Eigen::Index>(u));
        for (size_t k = by_user.start[u]; k < by_user.start[u + 1]; ++k) {
          const double s = xu.dot(y.col(by_user.other[k]));
          sum += by_user.Confidence(k) * (1 - s) * (1 - s) - s * s;
        }
      }
      partial[b / kGemmBlock] = sum;
    }
  });
  for (double p : partial) loss += p;
  return loss;
}

}  // namespace

std::shared_ptr<const AlsModel> AlsModel::Train(const Interactions& data, const AlsOptions& o,
                                                std::string version,
                                                std::vector<double>* loss_per_iteration) {
  return Train(data, o, std::move(version), loss_per_iteration, nullptr);
}

std::shared_ptr<const AlsModel> AlsModel::Train(Interactions&& data, const AlsOptions& o,
                                                std::string version,
                                                std::vector<double>* loss_per_iteration) {
  return Train(data, o, std::move(version), loss_per_iteration, &data);
}

std::shared_ptr<const AlsModel> AlsModel::Train(const Interactions& data, const AlsOptions& o,
                                                std::string version,
                                                std::vector<double>* loss_per_iteration,
                                                Interactions* release) {
  // Users, places and pairs in id order, so that every sum runs in the same order whatever
  // order they came in (and a model restored from its place vectors computes the same).
  const int threads = std::max(1, o.threads);
  std::vector<uint32_t> user_order, user_at, place_order, place_at;
  if (threads > 1) {
    std::thread places([&] { Order(data.places, place_order, place_at); });
    Order(data.users, user_order, user_at);
    places.join();
  } else {
    Order(data.places, place_order, place_at);
    Order(data.users, user_order, user_at);
  }

  auto m = std::shared_ptr<AlsModel>(new AlsModel());
  m->version_ = std::move(version);
  m->options_ = o;
  // The users' ids are needed only to seed their vectors: their hashes (8 bytes a user) are
  // kept instead.
  std::vector<uint64_t> user_hash(user_order.size());
  for (size_t j = 0; j < user_order.size(); ++j) user_hash[j] = data.users[user_order[j]].hash();
  user_order = {};
  if (release != nullptr) std::vector<UserId>().swap(release->users);
  m->ids_.reserve(data.places.size());
  for (uint32_t i : place_order) {
    m->ids_.push_back(release != nullptr ? std::move(release->places[i]) : data.places[i]);
  }
  if (release != nullptr) std::vector<PlaceId>().swap(release->places);
  place_order = {};
  Rows by_user, by_place;
  MakeRows(data, user_at, place_at, o.alpha, threads, by_user, by_place,
           release != nullptr ? &release->pairs : nullptr);
  user_at = {};
  place_at = {};
  // The factor matrices are made once the pairs are laid out in rows (and, when released,
  // freed): the retrain's peak then holds either the pairs or the matrices, not both (at 1M
  // users and places and 32 factors the matrices are 256 MB).
  const int f = std::max(1, o.factors);
  Matrix x(f, static_cast<Eigen::Index>(user_hash.size()));
  m->y_ = Matrix(f, static_cast<Eigen::Index>(m->ids_.size()));
  const auto user_seed = [&](size_t j) { return user_hash[j]; };
  const auto place_seed = [&](size_t j) { return m->ids_[j].hash(); };
  Initialise(x, user_seed, 0x5553455255534552ULL, threads);
  Initialise(m->y_, place_seed, 0x504c414345504cULL, threads);
  user_hash = {};
  for (int it = 0; it < o.iterations; ++it) {
    SolveSide(x, m->y_, by_user, o);
    const VectorD mu = SolveSide(m->y_, x, by_place, o);
    if (loss_per_iteration != nullptr)
      loss_per_iteration->push_back(Loss(by_user, x, m->y_, mu, o));
  }
  m->yty_ = Gram(m->y_, threads).cast<float>();
  return m;
}

std::shared_ptr<const AlsModel> AlsModel::FromStored(std::string version, const AlsOptions& o,
                                                     std::vector<PlaceId> ids, Matrix values,
                                                     const float* gram) {
  auto m = std::shared_ptr<AlsModel>(new AlsModel());
  m->version_ = std::move(version);
  m->options_ = o;
  const size_t n =
      values.rows() == o.factors ? std::min(ids.size(), static_cast<size_t>(values.cols())) : 0;
  ids.resize(n);
  const auto cols = static_cast<Eigen::Index>(n);
  if (std::is_sorted(ids.begin(), ids.end())) {
    // Fewer columns of the same height: a realloc, which keeps the vectors where they are.
    values.conservativeResize(o.factors, cols);
    m->y_ = std::move(values);
    m->ids_ = std::move(ids);
  } else {
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return ids[a] < ids[b]; });
    m->y_.resize(o.factors, cols);
    m->ids_.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      m->ids_.push_back(std::move(ids[order[i]]));
      m->y_.col(static_cast<Eigen::Index>(i)) = values.col(static_cast<Eigen::Index>(order[i]));
    }
  }
  if (gram != nullptr) {
    m->yty_ = Eigen::Map<const Matrix>(gram, o.factors, o.factors);
  } else {
    m->yty_ = Gram(m->y_, 1).cast<float>();
  }
  return m;
}

const float* AlsModel::PlaceVector(const PlaceId& place) const {
  const auto it = std::lower_bound(ids_.begin(), ids_.end(), place);
  return it == ids_.end() || *it != place ? nullptr
                                          : VectorAt(static_cast<size_t>(it - ids_.begin()));
}

std::optional<Vector> AlsModel::FoldIn(
    const std::vector<std::pair<PlaceId, double>>& history) const {
  std::vector<std::pair<const float*, double>> vectors;
  vectors.reserve(history.size());
  for (const auto& [place, count] : history) vectors.emplace_back(PlaceVector(place), count);
  return FoldIn(vectors);
}

std::optional<Vector> AlsModel::FoldIn(
    const std::vector<std::pair<const float*, double>>& history) const {
  const int f = options_.factors;
  Matrix a = yty_;
  a.diagonal().array() += static_cast<float>(options_.regularization);
  Vector b = Vector::Zero(f);
  bool any = false;
  for (const auto& [v, count] : history) {
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
