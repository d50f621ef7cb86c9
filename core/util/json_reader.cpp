#include "util/json_reader.hpp"

#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace es {
namespace {

// Builds the document as RapidJSON's own parse would, but for numbers and depth.
class LimitedBuilder {
public:
  explicit LimitedBuilder(rapidjson::Document& doc) : doc_(doc) {}

  bool RawNumber(const char* text, rapidjson::SizeType length, bool) {
    std::string number(text, length);
    const char* end = number.data() + number.size();
    if (number.find_first_of(".eE") == std::string::npos) {
      if (number.front() == '-') {
        std::int64_t value;
        if (std::from_chars(number.data(), end, value).ec == std::errc{}) return doc_.Int64(value);
      } else {
        std::uint64_t value;
        if (std::from_chars(number.data(), end, value).ec == std::errc{}) return doc_.Uint64(value);
      }
    }
    // strtod rounds correctly, also below a double's range (to a denormal or 0, as Python
    // does); its decimal point is '.' in the C locale, which this program never leaves.
    double value = std::strtod(number.c_str(), nullptr);
    if (std::isinf(value)) return !(too_big = true);
    return doc_.Double(value);
  }

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  // Numbers come as RawNumber; RapidJSON's parser still names these.
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(std::int64_t i) { return doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool String(const char* s, rapidjson::SizeType length, bool copy) { return doc_.String(s, length, copy); }
  bool Key(const char* s, rapidjson::SizeType length, bool copy) { return doc_.Key(s, length, copy); }
  bool StartObject() { return deeper() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return doc_.EndObject(members);
  }
  bool StartArray() { return deeper() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return doc_.EndArray(elements);
  }

  bool too_big = false;
  bool too_deep = false;

private:
  bool deeper() {
    too_deep = ++depth_ > max_json_depth;
    return !too_deep;
  }

  rapidjson::Document& doc_;
  std::size_t depth_ = 0;
};

} // namespace

std::string read_json(rapidjson::Document& doc, std::string_view text) {
  rapidjson::ParseResult result;
  bool too_deep = false;
  auto generate = [&](rapidjson::Document& building) {
    LimitedBuilder handler(building);
    rapidjson::MemoryStream bytes(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> input(bytes);
    rapidjson::Reader reader;
    result = reader.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag |
                          rapidjson::kParseNumbersAsStringsFlag>(input, handler);
    if (handler.too_big) result.Set(rapidjson::kParseErrorNumberTooBig, result.Offset());
    too_deep = handler.too_deep;
    return !result.IsError();
  };
  doc.Populate(generate);
  if (!result.IsError()) return {};
  std::string at = " at byte " + std::to_string(result.Offset());
  if (too_deep) return "nested deeper than " + std::to_string(max_json_depth) + " levels" + at;
  return std::string("not valid JSON (") + rapidjson::GetParseError_En(result.Code()) + at + ")";
}

} // namespace es
