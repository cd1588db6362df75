// Compact little-endian encoding of state values and composite keys. Readers never trust
// their input: every Get reports whether the bytes were there.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace locus {

class ByteWriter {
 public:
  ByteWriter() : out_(&own_) {}
  // Writes into `into`, cleared first: a buffer kept across writes allocates nothing once it
  // is large enough (Model::Persist encodes 10-20 entries an event).
  explicit ByteWriter(std::string& into) : out_(&into) { into.clear(); }
  // Moves keep the target: a writer of its own bytes takes them along.
  ByteWriter(ByteWriter&& o) noexcept
      : own_(std::move(o.own_)), out_(o.out_ == &o.own_ ? &own_ : o.out_) {}
  ByteWriter& operator=(ByteWriter&& o) noexcept {
    own_ = std::move(o.own_);
    out_ = o.out_ == &o.own_ ? &own_ : o.out_;
    return *this;
  }

  ByteWriter& U64(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
    out_->append(b, sizeof b);
    return *this;
  }
  ByteWriter& I64(int64_t v) { return U64(static_cast<uint64_t>(v)); }
  ByteWriter& F64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return U64(bits);
  }
  // Length-prefixed (u16) string; callers keep strings below 64 KiB.
  ByteWriter& Str(std::string_view s) {
    const char n[2] = {static_cast<char>(s.size() & 0xFF),
                       static_cast<char>((s.size() >> 8) & 0xFF)};
    out_->append(n, sizeof n);
    out_->append(s);
    return *this;
  }
  // Bytes as they are, no length.
  ByteWriter& Raw(std::string_view s) {
    out_->append(s);
    return *this;
  }
  const std::string& bytes() const { return *out_; }
  std::string Take() { return std::move(*out_); }

 private:
  std::string own_;
  std::string* out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  bool U64(uint64_t& v) {
    if (in_.size() < 8) return Fail();
    v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
    in_.remove_prefix(8);
    return true;
  }
  bool I64(int64_t& v) {
    uint64_t u;
    if (!U64(u)) return false;
    v = static_cast<int64_t>(u);
    return true;
  }
  bool F64(double& v) {
    uint64_t bits;
    if (!U64(bits)) return false;
    std::memcpy(&v, &bits, sizeof v);
    return true;
  }
  bool Str(std::string& s) {
    if (in_.size() < 2) return Fail();
    const size_t n = static_cast<unsigned char>(in_[0]) |
                     (static_cast<size_t>(static_cast<unsigned char>(in_[1])) << 8);
    if (in_.size() < 2 + n) return Fail();
    s.assign(in_.substr(2, n));
    in_.remove_prefix(2 + n);
    return true;
  }
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }

 private:
  bool Fail() {
    ok_ = false;
    return false;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace locus
