// retrieval::Chunker: offsets reproduce the text, the chunks cover the document in order with
// bounded sizes, paragraph > line > sentence > word boundaries are preferred, the overlap, multi-
// byte text, empty documents, one huge unbroken token, and refused input.
#include "dapt/retrieval/chunker.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "dapt_catch.hpp"

using namespace dapt;
using namespace dapt::retrieval;

namespace {

std::size_t count_chars(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

/// A deterministic document of words (some multi-byte), sentences, lines and paragraphs.
std::string random_document(std::uint64_t seed, int words) {
  static const char* const kWords[] = {"clk_en", "reset", "the", "flop", "é", "naïve", "日本語", "gate",
                                       "x", "verilog", "a", "latch", "🙂ok", "timing"};
  std::uint64_t x = seed * 2654435761u + 1;
  auto next = [&] {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x >> 33;
  };
  std::string s;
  for (int i = 0; i < words; ++i) {
    s += kWords[next() % 14];
    const auto r = next() % 20;
    if (r == 0) s += ".\n\n";
    else if (r == 1) s += "\n";
    else if (r == 2) s += ". ";
    else if (r == 3) s += "  ";
    else s += " ";
  }
  return s;
}

/// The structural invariants every chunking must have.
void check_invariants(const Chunker& chunker, const std::string& text) {
  const auto chunks = chunker.chunk(DocId{std::int64_t{7}}, text);
  const auto& o = chunker.options();
  if (text.empty()) {
    CHECK(chunks.empty());
    return;
  }
  REQUIRE(!chunks.empty());
  CHECK(chunks.front().begin == 0);
  CHECK(chunks.back().end == text.size());
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    INFO("chunk " << i);
    CHECK(std::get<std::int64_t>(c.doc) == 7);
    CHECK(c.index == static_cast<std::int64_t>(i));
    REQUIRE(c.begin < c.end);
    CHECK(c.text == text.substr(c.begin, c.end - c.begin));
    CHECK(is_valid_utf8(c.text));  // so no cut falls inside a UTF-8 sequence
    const std::size_t chars = count_chars(c.text);
    CHECK(chars <= static_cast<std::size_t>(o.target_chars));
    if (i + 1 < chunks.size()) {
      CHECK(chars >= static_cast<std::size_t>(o.min_chars));
      const Chunk& d = chunks[i + 1];
      CHECK(d.begin > c.begin);
      CHECK(d.begin <= c.end);  // no gap: the chunks cover the document
      CHECK(d.end > c.end);
      CHECK(count_chars(text.substr(d.begin, c.end - d.begin)) <= static_cast<std::size_t>(o.overlap_chars));
    }
  }
}

}  // namespace

TEST_CASE("Chunker: offsets, coverage and sizes on random documents", "[retrieval][chunker]") {
  const std::vector<ChunkerOptions> configs = {
      {512, 64, 128}, {100, 20, 30}, {40, 0, 0}, {50, 49, 0}, {1, 0, 0}, {7, 3, 7}, {64, 16, 64}};
  for (const auto& o : configs) {
    const Chunker chunker(o);
    for (std::uint64_t seed = 0; seed < 6; ++seed) {
      INFO("target " << o.target_chars << " overlap " << o.overlap_chars << " min " << o.min_chars << " seed " << seed);
      check_invariants(chunker, random_document(seed, 40 + 70 * static_cast<int>(seed)));
    }
  }
}

TEST_CASE("Chunker: paragraph breaks are preferred, then lines, sentences, words", "[retrieval][chunker]") {
  const std::string para(90, 'p');
  SECTION("paragraphs") {
    // Three 90-character paragraphs with words: a 200-character window holds two paragraph
    // breaks, and the chunk ends at the last one, even with line and sentence breaks later.
    std::string p = "word word word. Word word\nword word ";
    while (count_chars(p) < 88) p += "w";
    p += "\n";
    const std::string text = p + "\n" + p + "\n" + p + "\n" + p;
    const Chunker chunker({100, 0, 10});
    const auto chunks = chunker.chunk(DocId{std::string("doc")}, text);
    REQUIRE(chunks.size() == 4);
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      CHECK(chunks[i].begin == i * (p.size() + 1));
      CHECK(std::get<std::string>(chunks[i].doc) == "doc");
    }
  }
  SECTION("lines") {
    const std::string line = "alpha beta. gamma delta epsilon\n";  // 32 bytes
    std::string text;
    for (int i = 0; i < 6; ++i) text += line;
    const auto spans = Chunker({70, 0, 10}).split(text);
    for (std::size_t i = 0; i + 1 < spans.size(); ++i) CHECK(spans[i].second % line.size() == 0);
    CHECK(spans[0].second == 2 * line.size());
  }
  SECTION("sentences") {
    const std::string text = "One two three. Four five six! Seven eight nine? \"Ten eleven.\" Twelve thirteen fourteen";
    const auto spans = Chunker({40, 0, 5}).split(text);
    REQUIRE(spans.size() >= 2);
    // "One two three. Four five six! " is 30 characters: the last sentence end within 40.
    CHECK(text.substr(0, spans[0].second) == "One two three. Four five six! ");
    CHECK(text.substr(spans[1].first, 5) == "Seven");
  }
  SECTION("words") {
    const std::string text = "abcd efgh ijkl mnop qrst uvwx";
    const auto spans = Chunker({12, 0, 1}).split(text);
    REQUIRE(spans.size() == 3);
    CHECK(text.substr(spans[0].first, spans[0].second) == "abcd efgh ");
    CHECK(text.substr(spans[1].first, spans[1].second - spans[1].first) == "ijkl mnop ");
    CHECK(text.substr(spans[2].first) == "qrst uvwx");
  }
  SECTION("min_chars keeps an early paragraph break from making a tiny chunk") {
    const std::string text = "tiny\n\n" + std::string(30, 'a') + " " + std::string(30, 'b') + " " + std::string(30, 'c');
    const auto loose = Chunker({80, 0, 0}).split(text);
    CHECK(loose[0].second == 6);  // the paragraph break wins
    const auto strict = Chunker({80, 0, 20}).split(text);
    CHECK(strict[0].second == 6 + 31 + 31);  // the last word boundary within 80
  }
}

TEST_CASE("Chunker: overlap starts at a boundary and has about overlap characters", "[retrieval][chunker]") {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "word" + std::to_string(i % 10) + " ";  // 6 characters per word
  const Chunker chunker({60, 20, 30});
  const auto chunks = chunker.chunk(DocId{std::int64_t{1}}, text);
  REQUIRE(chunks.size() > 3);
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    const std::size_t shared = chunks[i].end - chunks[i + 1].begin;
    CHECK(shared >= 10);
    CHECK(shared <= 20);
    CHECK(text.substr(chunks[i + 1].begin, 4) == "word");  // starts at a word
  }
  SECTION("no overlap: the chunks partition the text") {
    const auto spans = Chunker({60, 0, 30}).split(text);
    for (std::size_t i = 0; i + 1 < spans.size(); ++i) CHECK(spans[i].second == spans[i + 1].first);
  }
}

TEST_CASE("Chunker: multi-byte text and one huge unbroken token", "[retrieval][chunker]") {
  SECTION("hard cuts fall between code points") {
    std::string text;
    for (int i = 0; i < 100; ++i) text += (i % 3 == 0) ? "日" : (i % 3 == 1) ? "é" : "🙂";
    const auto chunks = Chunker({16, 4, 16}).chunk(DocId{std::int64_t{0}}, text);
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      CHECK(is_valid_utf8(chunks[i].text));
      if (i + 1 < chunks.size()) {
        CHECK(count_chars(chunks[i].text) == 16);
        CHECK(count_chars(text.substr(chunks[i + 1].begin, chunks[i].end - chunks[i + 1].begin)) == 4);
      }
    }
    check_invariants(Chunker({16, 4, 16}), text);
  }
  SECTION("one 5000-character token") {
    const std::string text(5000, 'x');
    const auto spans = Chunker().split(text);
    // Chunks of 512 advancing by 448: ceil((5000 - 512) / 448) + 1 = 12.
    REQUIRE(spans.size() == 12);
    for (std::size_t i = 0; i + 1 < spans.size(); ++i) {
      CHECK(spans[i].second - spans[i].first == 512);
      CHECK(spans[i].second - spans[i + 1].first == 64);
    }
    CHECK(spans.back().second == 5000);
  }
  SECTION("CJK sentence ends are boundaries without spaces") {
    const std::string text = "日本語です。次の文です。最後";
    const auto spans = Chunker({8, 0, 1}).split(text);
    REQUIRE(spans.size() >= 2);
    CHECK(text.substr(0, spans[0].second) == "日本語です。");
  }
}

TEST_CASE("Chunker: empty and short documents", "[retrieval][chunker]") {
  const Chunker chunker;
  CHECK(chunker.chunk(DocId{std::int64_t{3}}, "").empty());
  const auto one = chunker.chunk(DocId{std::int64_t{3}}, "short text\n\nstill short");
  REQUIRE(one.size() == 1);
  CHECK(one[0].begin == 0);
  CHECK(one[0].text == "short text\n\nstill short");
  const std::vector<Document> docs = {{std::int64_t{1}, "a b"}, {std::string("two"), ""}, {std::int64_t{3}, "c"}};
  const auto all = chunker.chunk(docs);
  REQUIRE(all.size() == 2);
  CHECK(std::get<std::int64_t>(all[1].doc) == 3);
  check_invariants(Chunker({5, 2, 0}), "   \n\n \n  ");
}

TEST_CASE("Chunker: refused input", "[retrieval][chunker]") {
  REQUIRE_DAPT_ERROR(Chunker({0, 0, 0}), kInvalidArgument, "target_chars");
  REQUIRE_DAPT_ERROR(Chunker({10, 10, 0}), kInvalidArgument, "overlap_chars");
  REQUIRE_DAPT_ERROR(Chunker({10, -1, 0}), kInvalidArgument, "overlap_chars");
  REQUIRE_DAPT_ERROR(Chunker({10, 2, 11}), kInvalidArgument, "min_chars");
  REQUIRE_DAPT_ERROR(Chunker({10, 2, -1}), kInvalidArgument, "min_chars");
  const Chunker chunker;
  REQUIRE_DAPT_ERROR(chunker.chunk(DocId{std::string("spec.md")}, "ok \xC3"), kInvalidArgument, "\"spec.md\"");
  REQUIRE_DAPT_ERROR(chunker.chunk(DocId{std::int64_t{12}}, "ab\xFF"), kInvalidArgument, "byte offset 2");
  REQUIRE_DAPT_ERROR(chunker.split("\xED\xA0\x80"), kInvalidArgument, "byte offset 0");
}
