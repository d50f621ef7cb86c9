#pragma once
// The header fields of every answer this server writes. Values reach headers from
// clients (a Grip-Link built from the request's target), from tokens (the user in
// Grip-Set-Meta) and from the command line; a CR or LF in one would let its author add
// header lines of their choosing, and a value of 64 KiB or more makes Beast throw. So the
// only way to put a field into a Response checks it first: SafeFields hides the setters
// of Beast's fields with checked ones, and header_line() does the same for the heads a
// stream writes itself.
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/beast/http/fields.hpp>

namespace es::http {

// A field the server was about to write that would not be one field: the message names
// it and the first offending byte. Nothing of it was sent.
class BadHeaderField : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

// The most bytes a field's name or value may have: Beast keeps their offsets in 16 bits
// (counting ": " and CRLF) and throws past that.
constexpr std::size_t max_field_size = 0xffff - 2;

// Throws BadHeaderField unless `name` is a token and `value` holds no control character
// (other than HTAB) and both fit Beast's limits.
void check_header_field(std::string_view name, std::string_view value);

// "Name: value\r\n", checked.
std::string header_line(std::string_view name, std::string_view value);

class SafeFields : public boost::beast::http::fields {
  using base = boost::beast::http::fields;

public:
  void set(boost::beast::http::field name, std::string_view value);
  void set(std::string_view name, std::string_view value);
  void insert(boost::beast::http::field name, std::string_view value);
  void insert(std::string_view name, std::string_view value);
};

} // namespace es::http
