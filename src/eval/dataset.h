// A check-in file prepared for protocol NV-A (EVAL.md): parsed, stably sorted by UTC time,
// users and venues numbered by first appearance, each venue's activity and coordinates taken
// from its first check-in.
#pragma once

#include "src/core/status.h"
#include "src/core/types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace locus::eval {

struct Row {
  uint32_t user = 0;
  uint32_t venue = 0;
  uint32_t activity = 0;  // this row's own category
  GeoPoint position;      // this row's own coordinates
  TimeMs ts = 0;
};

struct Dataset {
  std::string name;  // the file name
  std::string path;
  std::vector<Row> rows;
  std::vector<std::string> users;
  std::vector<std::string> venues;
  std::vector<std::string> activities;
  std::vector<uint32_t> venue_activity;  // of the venue's first check-in
  std::vector<GeoPoint> venue_position;  // of the venue's first check-in
  int64_t malformed_lines = 0;
};

// Reads a check-in TSV (.xz or plain).
Result<Dataset> LoadCheckins(const std::string& path);

}  // namespace locus::eval
