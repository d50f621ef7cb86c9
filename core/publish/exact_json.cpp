#include "publish/exact_json.hpp"

#include <rapidjson/memorystream.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/reader.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace es::publish {
namespace {

// Builds the document as RapidJSON's own parse would, but for numbers.
class ExactNumbers {
public:
  explicit ExactNumbers(rapidjson::Document& doc) : doc_(doc) {}

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
  bool StartObject() { return doc_.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType length, bool copy) { return doc_.Key(s, length, copy); }
  bool EndObject(rapidjson::SizeType members) { return doc_.EndObject(members); }
  bool StartArray() { return doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) { return doc_.EndArray(elements); }

  bool too_big = false;

private:
  rapidjson::Document& doc_;
};

} // namespace

rapidjson::ParseResult parse_exact_json(rapidjson::Document& doc, std::string_view text) {
  rapidjson::ParseResult result;
  auto generate = [&](rapidjson::Document& building) {
    ExactNumbers handler(building);
    rapidjson::MemoryStream bytes(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> input(bytes);
    rapidjson::Reader reader;
    result = reader.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag |
                          rapidjson::kParseNumbersAsStringsFlag>(input, handler);
    if (handler.too_big) result.Set(rapidjson::kParseErrorNumberTooBig, result.Offset());
    return !result.IsError();
  };
  doc.Populate(generate);
  return result;
}

} // namespace es::publish
