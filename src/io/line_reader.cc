#include "src/io/line_reader.h"

#include <lzma.h>

#include <cstring>
#include <filesystem>

namespace locus {

struct LineReader::Xz {
  lzma_stream stream = LZMA_STREAM_INIT;
  std::string in;
  bool finished = false;
  ~Xz() { lzma_end(&stream); }
};

Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path) {
  std::unique_ptr<LineReader> r(new LineReader());
  r->file_ = std::fopen(path.c_str(), "rb");
  if (r->file_ == nullptr) {
    return Status::Error("cannot open " + path + ": " + std::strerror(errno));
  }
  std::error_code ec;
  r->file_size_ = std::filesystem::file_size(path, ec);
  if (path.ends_with(".xz")) {
    r->xz_ = std::make_unique<Xz>();
    if (lzma_stream_decoder(&r->xz_->stream, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
      return Status::Error("cannot start the xz decoder for " + path);
    }
  }
  return r;
}

LineReader::~LineReader() {
  if (file_ != nullptr) std::fclose(file_);
}

bool LineReader::Fill() {
  if (eof_) return false;
  buffer_.erase(0, pos_);
  pos_ = 0;
  char chunk[1 << 16];
  if (!xz_) {
    const size_t n = std::fread(chunk, 1, sizeof chunk, file_);
    bytes_read_ += n;
    if (n == 0) {
      eof_ = true;
      if (std::ferror(file_)) error_ = "read error";
      return false;
    }
    buffer_.append(chunk, n);
    return true;
  }
  Xz& x = *xz_;
  if (x.finished) {
    eof_ = true;
    return false;
  }
  if (x.stream.avail_in == 0) {
    x.in.resize(1 << 16);
    const size_t n = std::fread(x.in.data(), 1, x.in.size(), file_);
    bytes_read_ += n;
    x.stream.next_in = reinterpret_cast<const uint8_t*>(x.in.data());
    x.stream.avail_in = n;
  }
  const lzma_action action = std::feof(file_) ? LZMA_FINISH : LZMA_RUN;
  x.stream.next_out = reinterpret_cast<uint8_t*>(chunk);
  x.stream.avail_out = sizeof chunk;
  const lzma_ret ret = lzma_code(&x.stream, action);
  buffer_.append(chunk, sizeof chunk - x.stream.avail_out);
  if (ret == LZMA_STREAM_END) {
    x.finished = true;
  } else if (ret != LZMA_OK) {
    error_ = "corrupt xz data (lzma error " + std::to_string(static_cast<int>(ret)) + ")";
    eof_ = true;
    return false;
  }
  return true;
}

bool LineReader::Next(std::string& line) {
  for (;;) {
    const size_t nl = buffer_.find('\n', pos_);
    if (nl != std::string::npos) {
      line.assign(buffer_, pos_, nl - pos_);
      pos_ = nl + 1;
      return true;
    }
    if (!Fill()) {
      if (pos_ < buffer_.size() && error_.empty()) {  // last line without '\n'
        line.assign(buffer_, pos_, std::string::npos);
        pos_ = buffer_.size();
        return true;
      }
      return false;
    }
  }
}

}  // namespace locus
