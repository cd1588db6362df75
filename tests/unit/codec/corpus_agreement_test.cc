// THE schema/decoder agreement test: for every message of tests/data/corpus, the C++ decoder,
// the file name (ok_/bad_) and an independent JSON Schema validator (Python jsonschema over
// schemas/) must all give the same verdict. A rule changed in a schema but not in the decoder
// (or the other way round) shows up here.
#include "src/codec/messages.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace locus {
namespace {

namespace fs = std::filesystem;

const std::string kSource = LOCUS_SOURCE_DIR;
const std::string kPython = "/usr/bin/python3";

struct Verdict {
  bool ok = false;
  std::string reason;
};

// The C++ decoder of each corpus kind.
const std::map<std::string, std::function<Verdict(std::string_view)>>& Decoders() {
  static const auto* decoders = new std::map<std::string, std::function<Verdict(std::string_view)>>{
      {"place",
       [](std::string_view b) {
         auto d = DecodePlace(b);
         return Verdict{d.ok(), d.code + ": " + d.error};
       }},
      {"event",
       [](std::string_view b) {
         auto d = DecodeEvent(b);
         return Verdict{d.ok(), d.code + ": " + d.error};
       }},
      {"request",
       [](std::string_view b) {
         auto d = DecodeRequest(b);
         return Verdict{d.ok(), d.code + ": " + d.error};
       }},
      {"response",
       [](std::string_view b) {
         auto d = DecodeResponse(b);
         return Verdict{d.ok(), d.code + ": " + d.error};
       }},
      {"deadletter",
       [](std::string_view b) {
         auto d = DecodeDeadLetter(b);
         return Verdict{d.ok(), d.code + ": " + d.error};
       }},
  };
  return *decoders;
}

std::string ReadFile(const fs::path& path) {
  std::string bytes(fs::file_size(path), '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  EXPECT_TRUE(in.good() || bytes.empty()) << "cannot read " << path;
  return bytes;
}

// Runs a command and returns its stdout and exit status.
std::string RunCommand(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  *status = pclose(pipe);
  return out;
}

// "<kind>/<file>" -> the validator's verdict.
std::map<std::string, Verdict> ParseValidatorOutput(const std::string& out) {
  std::map<std::string, Verdict> verdicts;
  for (size_t start = 0; start < out.size();) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    const std::string line = out.substr(start, end - start);
    start = end + 1;
    const size_t t1 = line.find('\t');
    const size_t t2 = t1 == std::string::npos ? std::string::npos : line.find('\t', t1 + 1);
    if (t2 == std::string::npos) continue;
    const std::string label = line.substr(t1 + 1, t2 - t1 - 1);
    if (label != "valid" && label != "invalid") continue;
    verdicts[line.substr(0, t1)] = Verdict{label == "valid", line.substr(t2 + 1)};
  }
  return verdicts;
}

TEST(CorpusAgreementTest, DecodersSchemasAndFileNamesAgreeOnEveryCorpusMessage) {
  int status = 0;
  RunCommand(kPython + " -c 'import jsonschema' 2>&1", &status);
  if (status != 0) {
    FAIL() << kPython << " cannot import jsonschema, so the schemas cannot be checked against "
           << "the decoders. Run scripts/setup (it installs Debian's python3-jsonschema).";
  }
  const std::string schemas = kSource + "/schemas";
  const std::string corpus = kSource + "/tests/data/corpus";
  const std::string out =
      RunCommand(kPython + " '" + kSource + "/tests/tools/validate_corpus.py' '" + schemas + "' '" +
                     corpus + "' 2>&1",
                 &status);
  ASSERT_EQ(status, 0) << "validate_corpus.py failed:\n" << out;
  const std::map<std::string, Verdict> schema_verdicts = ParseValidatorOutput(out);

  std::vector<std::string> disagreements;
  size_t compared = 0;
  std::map<std::string, size_t> per_kind;
  for (const auto& [kind, decode] : Decoders()) {
    const fs::path dir = fs::path(corpus) / kind;
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      const std::string name = file.filename().string();
      const std::string id = kind + "/" + name;
      const bool named_ok = name.starts_with("ok_");
      if (!named_ok && !name.starts_with("bad_")) {
        disagreements.push_back(id + ": name must start with ok_ or bad_");
        continue;
      }
      const Verdict decoder = decode(ReadFile(file));
      auto it = schema_verdicts.find(id);
      if (it == schema_verdicts.end()) {
        disagreements.push_back(id + ": the schema validator gave no verdict");
        continue;
      }
      const Verdict& schema = it->second;
      ++compared;
      ++per_kind[kind];
      auto word = [](bool ok) { return ok ? "valid" : "invalid"; };
      if (decoder.ok != named_ok || schema.ok != named_ok) {
        disagreements.push_back(id + ": file name says " + word(named_ok) + ", decoder says " +
                                word(decoder.ok) +
                                (decoder.ok ? std::string() : " (" + decoder.reason + ")") +
                                ", schema says " + word(schema.ok) + " (" + schema.reason + ")");
      }
    }
    EXPECT_GT(per_kind[kind], 0u) << "no corpus files for " << kind;
  }
  EXPECT_EQ(compared, schema_verdicts.size()) << "the validator saw files this test did not";
  EXPECT_GE(compared, 40u) << "the corpus is too small to mean much";
  std::string list;
  for (const std::string& d : disagreements) list += "  " + d + "\n";
  EXPECT_TRUE(disagreements.empty())
      << disagreements.size() << " of " << compared << " corpus files disagree:\n"
      << list;
}

}  // namespace
}  // namespace locus
