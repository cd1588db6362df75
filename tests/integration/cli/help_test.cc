// The `locus` command line: --help on every subcommand, and the documented exit codes for
// bad usage (README "Exit codes").
#include "tests/integration/kafka/process.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace locus::itest {
namespace {

TEST(CliTest, EverySubcommandHasHelp) {
  const std::vector<std::vector<std::string>> subcommands = {
      {"broker"},        {"serve"},    {"import"}, {"recommend"}, {"state"},
      {"state", "dump"}, {"snapshot"}, {"eval"},   {"gen-city"}};
  for (const auto& sub : subcommands) {
    std::vector<std::string> argv{LocusBinary()};
    argv.insert(argv.end(), sub.begin(), sub.end());
    argv.push_back("--help");
    RunResult r = RunToEnd(argv, seconds(30));
    SCOPED_TRACE(sub.back());
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--help"), std::string::npos) << r.out;
  }
  RunResult serve = RunToEnd({LocusBinary(), "serve", "--help"}, seconds(30));
  EXPECT_NE(serve.out.find("--http"), std::string::npos) << serve.out;
  EXPECT_NE(serve.out.find("--web-dir"), std::string::npos) << serve.out;
  RunResult recommend = RunToEnd({LocusBinary(), "recommend", "--help"}, seconds(30));
  for (const char* flag : {"--user", "--lat", "--lon", "--radius-km", "--k"}) {
    EXPECT_NE(recommend.out.find(flag), std::string::npos) << flag << "\n" << recommend.out;
  }
}

TEST(CliTest, BadUsageExitsWithTwo) {
  EXPECT_EQ(RunToEnd({LocusBinary()}, seconds(30)).code, 2);
  EXPECT_EQ(RunToEnd({LocusBinary(), "serve", "--no-such-flag"}, seconds(30)).code, 2);
  EXPECT_EQ(RunToEnd({LocusBinary(), "recommend"}, seconds(30)).code, 2);
  EXPECT_EQ(RunToEnd({LocusBinary(), "recommend", "coffee", "--k", "0"}, seconds(30)).code, 2);
  EXPECT_EQ(RunToEnd({LocusBinary(), "serve", "--http", "nonsense"}, seconds(30)).code, 2);
  // --lat without --lon is refused before any Kafka is asked.
  EXPECT_EQ(RunToEnd({LocusBinary(), "recommend", "coffee", "--lat", "1", "--bootstrap", "x:1"},
                     seconds(30))
                .code,
            2);
}

}  // namespace
}  // namespace locus::itest
