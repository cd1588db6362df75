// An in-memory StateWriter/StateReader over a std::map, for tests of the core without RocksDB.
// Keys are ordered bytewise like RocksDB's default comparator (std::string compares chars as
// unsigned). Also records every write so tests can see exactly what a Persist wrote.
#pragma once

#include "src/core/state_io.h"
#include "src/core/status.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locus::test_support {

class MapState final : public StateWriter, public StateReader {
 public:
  using Key = std::pair<Space, std::string>;
  struct Op {
    bool put;
    Space space;
    std::string key;
    std::string value;
    bool operator==(const Op&) const = default;
  };

  void Put(Space space, std::string_view key, std::string_view value) override {
    entries_[{space, std::string(key)}] = std::string(value);
    ops_.push_back({true, space, std::string(key), std::string(value)});
  }
  void Delete(Space space, std::string_view key) override {
    entries_.erase({space, std::string(key)});
    ops_.push_back({false, space, std::string(key), {}});
  }

  Status Scan(Space space,
              const std::function<void(std::string_view, std::string_view)>& visit) const override {
    for (const auto& [key, value] : entries_) {
      if (key.first == space) visit(key.second, value);
    }
    return Status::Ok();
  }
  std::optional<std::string> Get(Space space, std::string_view key) const override {
    auto it = entries_.find({space, std::string(key)});
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }

  const std::map<Key, std::string>& entries() const { return entries_; }
  // The writes since the last call, in order.
  std::vector<Op> TakeOps() { return std::exchange(ops_, {}); }

 private:
  std::map<Key, std::string> entries_;
  std::vector<Op> ops_;
};

}  // namespace locus::test_support
