#include "src/core/bytes.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace locus {
namespace {

TEST(BytesTest, ValuesReadBackAsWritten) {
  const std::string bytes =
      ByteWriter().U64(0x0102030405060708ULL).I64(-5).F64(2.5).Str("café").Take();
  ASSERT_EQ(bytes.size(), 8u + 8 + 8 + 2 + 5);
  EXPECT_EQ(bytes[0], '\x08') << "little-endian";
  ByteReader r(bytes);
  uint64_t u = 0;
  int64_t i = 0;
  double d = 0;
  std::string s;
  ASSERT_TRUE(r.U64(u) && r.I64(i) && r.F64(d) && r.Str(s));
  EXPECT_TRUE(r.done());
  EXPECT_EQ(u, 0x0102030405060708ULL);
  EXPECT_EQ(i, -5);
  EXPECT_EQ(d, 2.5);
  EXPECT_EQ(s, "café");
  EXPECT_FALSE(r.U64(u)) << "nothing left";
}

TEST(BytesTest, AWriterIntoABufferReplacesItsBytesAndKeepsItsCapacity) {
  std::string buffer = "old bytes that are long enough to be on the heap";
  const size_t capacity = buffer.capacity();
  ByteWriter(buffer).Str("ab").Raw("cd");
  EXPECT_EQ(buffer, std::string("\x02\x00"
                                "abcd",
                                6));
  EXPECT_EQ(buffer.capacity(), capacity);
}

TEST(BytesTest, AMovedWriterKeepsWritingWhereItWrote) {
  ByteWriter own;
  own.Raw("a");
  ByteWriter moved = std::move(own);
  moved.Raw("b");
  EXPECT_EQ(moved.Take(), "ab");

  std::string buffer;
  ByteWriter into(buffer);
  ByteWriter other = std::move(into);
  other.Raw("xy");
  EXPECT_EQ(buffer, "xy");
}

TEST(BytesTest, ATruncatedStringFails) {
  std::string bytes = ByteWriter().Str("hello").Take();
  bytes.pop_back();
  ByteReader r(bytes);
  std::string s;
  EXPECT_FALSE(r.Str(s));
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace locus
