// The web page in a real headless Chromium (Debian's chromium, driven over the DevTools
// protocol by browser_check.py): type an activity, pick the autocomplete's suggestion, click
// the map, and the ranked answers render. The screenshot is kept as a test artefact in
// BUILD/tests/artifacts/web_page.png.
#include "tests/integration/http/http_stack.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace locus::itest {
namespace {

TEST(WebPageTest, TypingAnActivityInChromiumRendersTheAnswers) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
      << "Debian's chromium is missing (scripts/setup installs it)";
  TempDir dir;
  HttpStack s(dir);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s.PublishSmallCity());

  const std::string shot = LOCUS_BINARY_DIR "/tests/artifacts/web_page.png";
  std::filesystem::remove(shot);
  RunResult r =
      RunToEnd({"/usr/bin/python3", LOCUS_SOURCE_DIR "/tests/integration/http/browser_check.py",
                "--url", s.url(), "--screenshot", shot, "--type", "cof", "--expect-suggestion",
                "Coffee Shop", "--expect-first", "Popular Cafe", "--expect-applied", "8"},
               seconds(180), dir / "browser_check.log");
  EXPECT_EQ(r.code, 0) << r.out << "\n" << ReadFileText(dir / "browser_check.log");
  // The answers the browser saw, in order.
  EXPECT_NE(r.out.find("Popular Cafe"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Quiet Cafe"), std::string::npos) << r.out;
  ASSERT_TRUE(std::filesystem::exists(shot));
  const std::string png = ReadFileText(shot);
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

}  // namespace
}  // namespace locus::itest
