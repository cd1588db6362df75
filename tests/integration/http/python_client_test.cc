// The Python example client (clients/python/locus_request.py, Debian's python3-confluent-kafka)
// against the embedded cluster: it sends a request and prints the answer.
#include "tests/integration/http/http_stack.h"

#include <gtest/gtest.h>

#include <string>

namespace locus::itest {
namespace {

const std::string kClient = LOCUS_SOURCE_DIR "/clients/python/locus_request.py";

TEST(PythonClientTest, SendsARequestAndPrintsTheAnswer) {
  TempDir dir;
  HttpStack s(dir);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s.PublishSmallCity());

  RunResult table = RunToEnd({"/usr/bin/python3", kClient, "--bootstrap", s.stack().bootstrap(),
                              "coffee", "--lat", "40.73", "--lon", "-73.995", "--k", "2"},
                             seconds(90), dir / "client.log");
  EXPECT_EQ(table.code, 0) << table.out << ReadFileText(dir / "client.log");
  EXPECT_NE(table.out.find("Coffee Shop"), std::string::npos) << table.out;
  const size_t popular = table.out.find("Popular Cafe");
  const size_t quiet = table.out.find("Quiet Cafe");
  ASSERT_NE(popular, std::string::npos) << table.out;
  ASSERT_NE(quiet, std::string::npos) << table.out;
  EXPECT_LT(popular, quiet) << "ranked: the popular cafe first\n" << table.out;

  // --json prints the response message itself, valid under the contract.
  RunResult json = RunToEnd({"/usr/bin/python3", kClient, "--bootstrap", s.stack().bootstrap(),
                             "Climbing Gym", "--user", "user-2", "--json"},
                            seconds(90), dir / "client.log");
  EXPECT_EQ(json.code, 0) << json.out << ReadFileText(dir / "client.log");
  std::string line = json.out.substr(0, json.out.find('\n'));
  Decoded<Answer> d = DecodeResponse(line);
  ASSERT_TRUE(d.ok()) << d.error << ": " << json.out;
  EXPECT_TRUE(d.value->ok);
  ASSERT_FALSE(d.value->items.empty());
  EXPECT_EQ(d.value->items[0].place.str(), "gym-rocks");

  // An unknown activity is an error answer: exit 3, with suggestions.
  RunResult unknown =
      RunToEnd({"/usr/bin/python3", kClient, "--bootstrap", s.stack().bootstrap(), "xylophone"},
               seconds(90), dir / "client.log");
  EXPECT_EQ(unknown.code, 3) << unknown.out << ReadFileText(dir / "client.log");
  EXPECT_NE(unknown.out.find("error:"), std::string::npos) << unknown.out;
}

}  // namespace
}  // namespace locus::itest
