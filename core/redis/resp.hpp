#pragma once
// RESP2, the protocol Redis speaks: commands go as arrays of bulk strings; replies are
// simple strings, errors, integers, bulk strings (maybe null) and arrays (maybe null).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace es::redis {

struct Reply {
  enum class Kind { status, error, integer, bulk, array, null } kind = Kind::null;
  std::string text;             // status, error, bulk
  std::int64_t integer = 0;
  std::vector<Reply> elements;  // array
};

// `*N\r\n$len\r\narg\r\n...`
void append_command(std::string& out, const std::vector<std::string_view>& args);

// Reads replies out of bytes as they arrive.
class ReplyReader {
public:
  void feed(std::string_view bytes);
  // The next complete reply, or nullopt until more bytes come. Throws std::runtime_error
  // on bytes that are not RESP.
  std::optional<Reply> next();

private:
  // Parses one reply at `at`; nullopt when incomplete (then `at` is unspecified).
  std::optional<Reply> parse(std::size_t& at) const;

  std::string buffer_;
  std::size_t start_ = 0; // replies before it are taken; compacted once it is half the buffer
};

} // namespace es::redis
