// Reads a text file line by line, decompressing .xz files on the fly (liblzma).
#pragma once

#include "src/core/status.h"

#include <cstdio>
#include <memory>
#include <string>

namespace locus {

class LineReader {
 public:
  // Opens `path`; files ending in ".xz" are decompressed.
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path);
  ~LineReader();

  // Next line without its '\n'. false at the end; error() tells whether the end was clean.
  bool Next(std::string& line);
  const std::string& error() const { return error_; }
  // Compressed bytes read so far and the file's size, for progress.
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t file_size() const { return file_size_; }

 private:
  LineReader() = default;
  bool Fill();

  std::FILE* file_ = nullptr;
  struct Xz;
  std::unique_ptr<Xz> xz_;
  std::string buffer_;
  size_t pos_ = 0;
  bool eof_ = false;
  std::string error_;
  uint64_t bytes_read_ = 0;
  uint64_t file_size_ = 0;
};

}  // namespace locus
