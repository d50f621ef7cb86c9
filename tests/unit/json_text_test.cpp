#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "sse/json_text.hpp"

namespace {

std::string reencode(const char* json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(json);
  EXPECT_FALSE(doc.HasParseError()) << json;
  return es::sse::python_json(doc);
}

} // namespace

TEST(PythonJson, SeparatorsLikeJsonDumps) {
  EXPECT_EQ(reencode(R"({"foo":"bar","n":[1,2,{}],"e":[]})"), R"({"foo": "bar", "n": [1, 2, {}], "e": []})");
  EXPECT_EQ(reencode("null"), "null");
  EXPECT_EQ(reencode("[true,false]"), "[true, false]");
}

TEST(PythonJson, StringsAreAsciiOnOneLine) {
  EXPECT_EQ(reencode(R"("line\nbreak\r\ttab \"q\" \\ /")"), R"("line\nbreak\r\ttab \"q\" \\ /")");
  EXPECT_EQ(reencode("\"caf\xC3\xA9\""), R"("caf\u00e9")");
  EXPECT_EQ(reencode("\"\xF0\x9F\x98\x80\""), R"("\ud83d\ude00")");
  EXPECT_EQ(reencode(R"("\u0001")"), R"("\u0001")");
}

TEST(PythonJson, NumbersLikePythonRepr) {
  EXPECT_EQ(reencode("[0, -5, 18446744073709551615, -9223372036854775808]"),
            "[0, -5, 18446744073709551615, -9223372036854775808]");
  EXPECT_EQ(reencode("[1.0, 2.5, 0.1, -0.001]"), "[1.0, 2.5, 0.1, -0.001]");
  EXPECT_EQ(reencode("[1e100, 1e-5, 1e16, 123456789.125]"), "[1e+100, 1e-05, 1e+16, 123456789.125]");
}
