/// @file decoder.hpp
/// @brief Turning tokens back into text, as a chain of steps over the list of token strings with
/// the semantics of Hugging Face `tokenizers` decoders: ByteLevel (characters back to bytes,
/// then lossy UTF-8), Metaspace, ByteFallback (`<0xXX>` runs to UTF-8, one U+FFFD per byte of
/// an invalid run), Fuse, Strip and Replace. The input strings are the tokens as the HF file
/// writes them (byte-level tokens in their character form).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dapt/tokenizer/byte_level.hpp"
#include "dapt/tokenizer/normalizer.hpp"
#include "dapt/tokenizer/pretokenizer.hpp"
#include "dapt/tokenizer/unicode.hpp"

namespace dapt::tokenizer {

struct ByteLevelDecodeStep {};
struct MetaspaceDecodeStep {
  std::string replacement = "\xe2\x96\x81";
  PrependScheme prepend_scheme = PrependScheme::kAlways;
};
struct ByteFallbackDecodeStep {};
struct FuseDecodeStep {};
struct StripDecodeStep {
  std::string content = " ";  ///< one character
  int start = 0;
  int stop = 0;
};
struct ReplaceDecodeStep {
  std::string pattern;
  std::string content;
};
using DecoderStep = std::variant<ByteLevelDecodeStep, MetaspaceDecodeStep, ByteFallbackDecodeStep, FuseDecodeStep,
                                 StripDecodeStep, ReplaceDecodeStep>;

/// Replaces invalid UTF-8 the way Rust's String::from_utf8_lossy does: each maximal invalid
/// subpart becomes one U+FFFD.
inline std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const auto step = decode_utf8(bytes, pos);
    if (step.valid) out.append(bytes.substr(pos, step.length));
    else out.append("\xef\xbf\xbd");
    pos += step.length;
  }
  return out;
}

namespace detail {

/// Parses "<0xAB>" into its byte.
inline std::optional<std::uint8_t> parse_byte_token(std::string_view t) {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return std::nullopt;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int hi = hex(t[3]), lo = hex(t[4]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<std::uint8_t>(hi * 16 + lo);
}

}  // namespace detail

/// An ordered chain of decoder steps (empty: tokens are concatenated).
struct Decoder {
  std::vector<DecoderStep> steps;

  std::string decode(std::vector<std::string> tokens) const {
    for (const auto& step : steps) std::visit([&](const auto& s) { apply(s, tokens); }, step);
    std::string out;
    for (const auto& t : tokens) out += t;
    return out;
  }

 private:
  static void apply(const ByteLevelDecodeStep&, std::vector<std::string>& tokens) {
    std::string bytes;
    for (const auto& t : tokens) {
      if (auto b = byte_level_to_bytes(t)) bytes += *b;
      else bytes += t;  // a token with characters outside the map contributes its own bytes
    }
    tokens.assign(1, utf8_lossy(bytes));
  }
  static void apply(const MetaspaceDecodeStep& st, std::vector<std::string>& tokens) {
    // As HF: in the first token every replacement character is dropped (unless the scheme is
    // "never"); elsewhere each becomes a space.
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const bool drop = i == 0 && st.prepend_scheme != PrependScheme::kNever;
      Normalizer::replace_all(tokens[i], st.replacement, drop ? "" : " ");
    }
  }
  static void apply(const ByteFallbackDecodeStep&, std::vector<std::string>& tokens) {
    std::vector<std::string> out;
    std::string pending;
    std::size_t pending_count = 0;
    auto flush = [&] {
      if (pending_count == 0) return;
      if (is_valid_utf8(pending)) {
        out.push_back(pending);
      } else {
        for (std::size_t i = 0; i < pending_count; ++i) out.push_back("\xef\xbf\xbd");
      }
      pending.clear();
      pending_count = 0;
    };
    for (auto& t : tokens) {
      if (auto b = detail::parse_byte_token(t)) {
        pending.push_back(static_cast<char>(*b));
        ++pending_count;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens.swap(out);
  }
  static void apply(const FuseDecodeStep&, std::vector<std::string>& tokens) {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
  static void apply(const StripDecodeStep& st, std::vector<std::string>& tokens) {
    for (auto& t : tokens) {
      int n = 0;
      while (n < st.start && t.compare(0, st.content.size(), st.content) == 0) {
        t.erase(0, st.content.size());
        ++n;
      }
      n = 0;
      while (n < st.stop && t.size() >= st.content.size() &&
             t.compare(t.size() - st.content.size(), st.content.size(), st.content) == 0) {
        t.erase(t.size() - st.content.size());
        ++n;
      }
    }
  }
  static void apply(const ReplaceDecodeStep& st, std::vector<std::string>& tokens) {
    for (auto& t : tokens) Normalizer::replace_all(t, st.pattern, st.content);
  }
};

}  // namespace dapt::tokenizer
