#include <gtest/gtest.h>

#include "sse/json_text.hpp"
#include "util/json_reader.hpp"

using namespace es;

namespace {

std::string problem_of(std::string_view text) {
  rapidjson::Document doc;
  return read_json(doc, text);
}

std::string nested(std::size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

} // namespace

// A million `[` segfaulted POST /kick/, which parsed with RapidJSON's recursive parser.
TEST(JsonReader, DeepNestingIsRefusedWithoutRecursing) {
  // The byte is where the 257th level opens, counted from 0 as RapidJSON counts.
  EXPECT_EQ(problem_of(std::string(1000000, '[')), "nested deeper than 256 levels at byte 256");
  EXPECT_EQ(problem_of(nested(300)), "nested deeper than 256 levels at byte 256");
  EXPECT_EQ(problem_of(R"({"a": )" + std::string(1000, '[')), "nested deeper than 256 levels at byte 261");
  EXPECT_EQ(problem_of(std::string(1000000, '{')), "not valid JSON (Missing a name for object member. at byte 1)");
  std::string objects;
  for (int i = 0; i < 1000; ++i) objects += R"({"a":)";
  EXPECT_EQ(problem_of(objects), "nested deeper than 256 levels at byte 1280");
}

TEST(JsonReader, TheLimitIsExact) {
  rapidjson::Document doc;
  ASSERT_EQ(read_json(doc, nested(max_json_depth)), "");
  EXPECT_EQ(sse::python_json(doc), nested(max_json_depth));
  EXPECT_NE(problem_of(nested(max_json_depth + 1)), "");
  // Depth is the nesting open at once, not the brackets seen; brackets in strings are text.
  std::string wide = "[";
  for (int i = 0; i < 1000; ++i) wide += nested(100) + ",";
  wide += R"(")" + std::string(1000, '[') + R"("])";
  EXPECT_EQ(problem_of(wide), "");
}

TEST(JsonReader, ProblemsSayWhatAndWhere) {
  EXPECT_EQ(problem_of("{"), "not valid JSON (Missing a name for object member. at byte 1)");
  EXPECT_EQ(problem_of("[1,]"), "not valid JSON (Invalid value. at byte 3)");
  EXPECT_EQ(problem_of("\"\xff\"").substr(0, 40), "not valid JSON (Invalid encoding in stri");
  EXPECT_EQ(problem_of("1e400"), "not valid JSON (Number too big to be stored in double. at byte 0)");
  EXPECT_EQ(problem_of(""), "not valid JSON (The document is empty. at byte 0)");
}

TEST(JsonReader, NumbersAreExactAndIntegersStayIntegers) {
  rapidjson::Document doc;
  ASSERT_EQ(read_json(doc, R"({"exp": 1800000000, "big": 18446744073709551615, "neg": -1, "f": 0e40})"), "");
  EXPECT_TRUE(doc["exp"].IsInt64());
  EXPECT_EQ(doc["exp"].GetInt64(), 1800000000);
  EXPECT_EQ(doc["big"].GetUint64(), 18446744073709551615u);
  EXPECT_EQ(doc["neg"].GetInt(), -1);
  EXPECT_EQ(doc["f"].GetDouble(), 0.0);
}
