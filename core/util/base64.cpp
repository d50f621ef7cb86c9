#include "util/base64.hpp"

#include <openssl/evp.h>

#include <vector>

namespace es {

std::optional<std::string> base64_decode(std::string_view text) {
  auto data = text.substr(0, text.find_last_not_of('=') + 1);
  // Padding only at the end, and no length base64 cannot have.
  if (data.find('=') != std::string_view::npos || data.size() % 4 == 1 || text.size() - data.size() > 2)
    return std::nullopt;
  std::string padded(data);
  while (padded.size() % 4) padded.push_back('=');
  std::vector<unsigned char> out(padded.size() / 4 * 3 + 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(padded.data()),
                          static_cast<int>(padded.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(n);
  // DecodeBlock counts the padding as zero bytes.
  for (auto it = padded.rbegin(); it != padded.rend() && *it == '=' && size > 0; ++it) --size;
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

} // namespace es
