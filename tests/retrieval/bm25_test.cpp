// retrieval::Bm25: scores against the formula computed by hand and in double precision, rankings
// against a brute-force scorer on a random corpus (both accumulation paths, with removals and a
// filter), the default and tokenizer analyzers, empty and unknown queries, save/load round trips
// and refused or corrupt files.
#include "dapt/retrieval/bm25.hpp"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dapt/tokenizer/hf_json.hpp"
#include "dapt_catch.hpp"
#include "test_util.hpp"

using namespace dapt;
using namespace dapt::retrieval;
namespace fs = std::filesystem;

namespace {

/// Splits on spaces: the analyzer of the reference computations.
Analyzer space_analyzer() {
  return make_analyzer("test.space", [](std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && s[i] == ' ') ++i;
      const std::size_t b = i;
      while (i < s.size() && s[i] != ' ') ++i;
      if (i > b) out.emplace_back(s.substr(b, i - b));
    }
    return out;
  });
}

/// BM25 of every live document in double precision, straight from the formula.
struct Reference {
  std::map<std::int64_t, std::vector<std::string>> docs;
  double k1 = 1.2, b = 0.75;

  /// The scores of each query: document id -> score, for the documents holding a query term.
  std::vector<std::map<std::int64_t, double>> scores(const std::vector<std::vector<std::string>>& queries) const {
    std::vector<std::map<std::int64_t, double>> out(queries.size());
    const double n = static_cast<double>(docs.size());
    double total = 0;
    std::map<std::string, double> df;
    for (const auto& [id, terms] : docs) {
      total += static_cast<double>(terms.size());
      for (const std::string& t : std::set<std::string>(terms.begin(), terms.end())) df[t] += 1;
    }
    const double avgdl = total / n;
    for (const auto& [id, terms] : docs) {
      std::map<std::string, double> tf;
      for (const std::string& t : terms) tf[t] += 1;
      for (std::size_t q = 0; q < queries.size(); ++q) {
        double s = 0;
        bool any = false;
        for (const std::string& t : queries[q]) {
          const auto it = tf.find(t);
          if (it == tf.end()) continue;
          any = true;
          const double idf = std::log(1 + (n - df[t] + 0.5) / (df[t] + 0.5));
          s += idf * it->second * (k1 + 1) / (it->second + k1 * (1 - b + b * static_cast<double>(terms.size()) / avgdl));
        }
        if (any) out[q][id] = s;
      }
    }
    return out;
  }
};

std::vector<std::string> split_spaces(const std::string& s) { return space_analyzer().terms(s); }

/// Checks `hits` against the reference: sorted, every score equal to the reference score of its
/// id, and the scores those of the reference's top k (so the rankings agree up to exact ties).
void check_against(const std::vector<Hit>& hits, const std::map<std::int64_t, double>& ref, std::int64_t k,
                   const Filter& filter = {}) {
  std::vector<double> want;
  for (const auto& [id, s] : ref)
    if (!filter || filter(id)) want.push_back(s);
  std::sort(want.rbegin(), want.rend());
  if (static_cast<std::int64_t>(want.size()) > k) want.resize(static_cast<std::size_t>(k));
  REQUIRE(hits.size() == want.size());
  std::set<std::int64_t> seen;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    INFO("rank " << i << " id " << hits[i].id);
    if (i > 0) CHECK(hit_before(hits[i - 1], hits[i]));
    CHECK(seen.insert(hits[i].id).second);
    REQUIRE(ref.count(hits[i].id) == 1);
    CHECK(hits[i].score == Approx(ref.at(hits[i].id)).epsilon(1e-6));
    CHECK(hits[i].score == Approx(want[i]).epsilon(1e-6));
    if (filter) CHECK(filter(hits[i].id));
  }
}

struct Corpus {
  std::vector<std::int64_t> ids;
  std::vector<std::string> texts;
};

/// Documents over a Zipf-like vocabulary of 60 words: frequent words give long postings (the
/// dense path), rare ones short postings (the sparse path).
Corpus random_corpus(int docs, std::uint64_t seed) {
  std::uint64_t x = seed;
  auto next = [&] {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x >> 33;
  };
  Corpus c;
  for (int d = 0; d < docs; ++d) {
    std::string text;
    const int len = 1 + static_cast<int>(next() % 30);
    for (int i = 0; i < len; ++i) {
      const auto r = next() % 1000;
      const auto w = static_cast<int>(60.0 * (static_cast<double>(r) / 1000.0) * (static_cast<double>(r) / 1000.0));
      text += "w" + std::to_string(w) + " ";
    }
    c.ids.push_back(1000 + 7 * d);
    c.texts.push_back(text);
  }
  return c;
}

std::vector<std::string> random_queries(int n, std::uint64_t seed) {
  std::uint64_t x = seed;
  std::vector<std::string> out;
  for (int q = 0; q < n; ++q) {
    std::string s;
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const int len = 1 + static_cast<int>((x >> 33) % 4);
    for (int i = 0; i < len; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      s += "w" + std::to_string((x >> 33) % 62) + " ";  // w60, w61 never occur
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("Bm25: scores of a tiny corpus by hand", "[retrieval][bm25]") {
  Bm25 bm25(space_analyzer());
  bm25.add(1, "a b");
  bm25.add(2, "a c c");
  bm25.add(3, "d");
  CHECK(bm25.size() == 3);
  CHECK(bm25.average_length() == 2.0);
  // "c": N = 3, df = 1: idf = ln(1 + 2.5 / 1.5) = ln(8/3). Document 2: tf = 2, |d| = 3,
  // avgdl = 2: 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 1.5)) = 4.4 / 3.65.
  const auto c = bm25.search("c", 10);
  REQUIRE(c.size() == 1);
  CHECK(c[0].id == 2);
  CHECK(c[0].score == Approx(std::log(8.0 / 3.0) * 4.4 / 3.65).epsilon(1e-6));
  // "a": df = 2, idf = ln(1 + 1.5 / 2.5) = ln(1.6); document 1 (|d| = 2) beats document 2.
  const auto a = bm25.search("a", 10);
  REQUIRE(a.size() == 2);
  CHECK(a[0].id == 1);
  CHECK(a[0].score == Approx(std::log(1.6) * 2.2 / (1 + 1.2)).epsilon(1e-6));
  CHECK(a[1].score == Approx(std::log(1.6) * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 1.5))).epsilon(1e-6));
  // A repeated query token counts twice.
  CHECK(bm25.search("c c", 1)[0].score == Approx(2 * c[0].score).epsilon(1e-6));
  // k1 = 1.5 (rank_bm25's default) and b = 0 (no length normalisation).
  Bm25 flat(space_analyzer(), {1.5, 0.0});
  flat.add(1, "a b");
  flat.add(2, "a c c");
  CHECK(flat.search("c", 1)[0].score == Approx(std::log(1 + 1.5 / 1.5) * 2 * 2.5 / (2 + 1.5)).epsilon(1e-6));
}

TEST_CASE("Bm25: rankings equal a brute-force scorer on a random corpus", "[retrieval][bm25]") {
  const Corpus c = random_corpus(400, 42);
  const auto queries = random_queries(60, 7);
  Reference ref;
  Bm25 bm25(space_analyzer());
  bm25.add_batch(c.ids, c.texts);
  for (std::size_t i = 0; i < c.ids.size(); ++i) ref.docs[c.ids[i]] = split_spaces(c.texts[i]);

  std::vector<std::vector<std::string>> query_terms;
  for (const auto& q : queries) query_terms.push_back(split_spaces(q));
  auto check_all = [&](std::int64_t k, const Filter& filter) {
    const HitLists batch = bm25.search_batch(queries, k, filter);
    const auto want = ref.scores(query_terms);
    for (std::size_t q = 0; q < queries.size(); ++q) {
      INFO("query \"" << queries[q] << "\" k " << k);
      const auto hits = bm25.search(queries[q], k, filter);
      check_against(hits, want[q], k, filter);
      CHECK(batch[q] == hits);
    }
  };
  check_all(10, {});
  check_all(1000, {});
  const Filter odd = [](std::int64_t id) { return id % 2 == 1; };
  check_all(5, odd);

  SECTION("after removals and compaction") {
    for (std::size_t i = 0; i < c.ids.size(); i += 3) {
      bm25.remove(c.ids[i]);
      ref.docs.erase(c.ids[i]);
    }
    CHECK(bm25.size() == static_cast<std::int64_t>(ref.docs.size()));
    check_all(10, {});
    for (std::size_t i = 1; i < c.ids.size(); i += 3) {  // now more than half the rows are dead
      bm25.remove(c.ids[i]);
      ref.docs.erase(c.ids[i]);
    }
    check_all(10, odd);
    bm25.add(5, "w0 w1 w59");
    ref.docs[5] = {"w0", "w1", "w59"};
    check_all(20, {});
  }
}

TEST_CASE("Bm25: empty queries, unknown terms, remove and refused input", "[retrieval][bm25]") {
  Bm25 bm25(default_analyzer());
  CHECK(bm25.search("anything", 3).empty());  // an empty index
  bm25.add(10, "The clk_en signal gates the clock.");
  bm25.add(11, "Reset is asynchronous.");
  CHECK(bm25.search("", 3).empty());
  CHECK(bm25.search("  ,;  ", 3).empty());
  CHECK(bm25.search("nowhere", 3).empty());
  const auto hits = bm25.search("CLK_EN nowhere", 3);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].id == 10);
  CHECK(bm25.document_length(10) == 6);
  CHECK(bm25.remove(10));
  CHECK_FALSE(bm25.contains(10));
  CHECK(bm25.search("clk_en", 3).empty());
  CHECK(bm25.search("reset", 3).size() == 1);
  bm25.add(10, "again clk_en");  // a removed id can be added again
  CHECK(bm25.search("clk_en", 3).at(0).id == 10);

  REQUIRE_DAPT_ERROR(bm25.add(11, "twice"), kInvalidArgument, "document id 11");
  REQUIRE_DAPT_ERROR(bm25.document_length(99), kOutOfRange, "document id 99");
  CHECK_FALSE(bm25.remove(99));
  const std::vector<std::int64_t> several{11, 99, 11, 10};
  CHECK(bm25.remove(several) == 2);  // unknown and repeated ids are ignored
  CHECK(bm25.empty());
  bm25.add(10, "again clk_en");
  bm25.add(11, "Reset is asynchronous.");
  REQUIRE_DAPT_ERROR(bm25.search("x", 0), kInvalidArgument, "k must be at least 1");
  REQUIRE_DAPT_ERROR(bm25.add(12, "bad \xFF"), kInvalidArgument, "document 12");
  REQUIRE_DAPT_ERROR(bm25.search("\xC3", 1), kInvalidArgument, "UTF-8");
  const std::vector<std::int64_t> ids{20, 20};
  const std::vector<std::string> texts{"a", "b"};
  REQUIRE_DAPT_ERROR(bm25.add_batch(ids, texts), kInvalidArgument, "appears twice");
  CHECK_FALSE(bm25.contains(20));
  REQUIRE_DAPT_ERROR(Bm25(space_analyzer(), {-1.0, 0.75}), kInvalidArgument, "k1");
  REQUIRE_DAPT_ERROR(Bm25(space_analyzer(), {1.2, 1.5}), kInvalidArgument, "b must");
  REQUIRE_DAPT_ERROR(Bm25(Analyzer{"none", {}, {}}), kInvalidArgument, "exactly one");
}

TEST_CASE("Bm25: the default analyzer", "[retrieval][bm25]") {
  const Analyzer a = default_analyzer();
  CHECK(a.terms("Set clk_en=1 (see AXI-4)") == std::vector<std::string>{"set", "clk_en", "1", "see", "axi", "4"});
  CHECK(a.terms("Größe naïve") == std::vector<std::string>{"größe", "naïve"});  // non-ASCII kept whole
  CHECK(a.terms("").empty());
  DefaultAnalyzerOptions o;
  o.stop_words = english_stop_words();
  o.min_length = 2;
  const Analyzer s = default_analyzer(o);
  CHECK(s.terms("The FIFO is full, a flag is set") == std::vector<std::string>{"fifo", "full", "flag", "set"});
  CHECK(english_stop_words().size() == 33);
  // The name records the configuration.
  CHECK(a.name != s.name);
  CHECK(default_analyzer().name == a.name);
  DefaultAnalyzerOptions upper = o;
  upper.stop_words = {"THE", "is", "the"};
  DefaultAnalyzerOptions lower = o;
  lower.stop_words = {"is", "the"};
  CHECK(default_analyzer(upper).name == default_analyzer(lower).name);
  REQUIRE_DAPT_ERROR(default_analyzer({true, {}, 0}), kInvalidArgument, "min_length");
}

TEST_CASE("Bm25: a tokenizer analyzer", "[retrieval][bm25]") {
  const auto tok = tokenizer::load_hf_tokenizer(DAPT_TEST_DATA_DIR "/tokenizers/bytelevel_bpe.tokenizer.json").tokenizer;
  const Analyzer a = tokenizer_analyzer(tok);
  CHECK(a.uses_ids());
  CHECK(dapt_test::contains(a.name, "vocab=" + std::to_string(tok.vocab_size())));
  const auto ids = a.term_ids("the quick brown fox");
  const auto want = tok.encode("the quick brown fox");
  REQUIRE(ids.size() == want.size());
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == want[i]);

  Bm25 bm25(a);
  bm25.add(1, "the quick brown fox jumps");
  bm25.add(2, "a lazy dog sleeps");
  bm25.add(3, "the fox and the dog");
  const auto hits = bm25.search("lazy dog", 3);
  REQUIRE(!hits.empty());
  CHECK(hits[0].id == 2);

  dapt_test::TempDir dir("bm25_tok");
  bm25.save(dir.path / "tok.bm25");
  const Bm25 again = Bm25::load(dir.path / "tok.bm25", tokenizer_analyzer(tok));
  CHECK(again.search("lazy dog", 3) == hits);
  REQUIRE_DAPT_ERROR(Bm25::load(dir.path / "tok.bm25", default_analyzer()), kConfig, "dapt.tokenizer(");
  REQUIRE_DAPT_ERROR(Bm25::load(dir.path / "tok.bm25", make_analyzer(a.name, [](std::string_view) {
                       return std::vector<std::string>{};
                     })),
                     kConfig, "holds id terms");
}

TEST_CASE("Bm25: save and load round trip", "[retrieval][bm25]") {
  dapt_test::TempDir dir("bm25_io");
  const Corpus c = random_corpus(150, 3);
  Bm25 bm25(space_analyzer(), {1.5, 0.6});
  bm25.add_batch(c.ids, c.texts);
  for (std::size_t i = 0; i < c.ids.size(); i += 4) bm25.remove(c.ids[i]);  // dead rows are not saved
  const fs::path path = dir.path / "index.bm25";
  bm25.save(path);
  const Bm25 loaded = Bm25::load(path, space_analyzer());
  CHECK(loaded.size() == bm25.size());
  CHECK(loaded.options().k1 == 1.5);
  CHECK(loaded.options().b == 0.6);
  CHECK(loaded.average_length() == bm25.average_length());
  const auto queries = random_queries(30, 11);
  CHECK(loaded.search_batch(queries, 10) == bm25.search_batch(queries, 10));
  // The loaded index keeps working: remove and add.
  Bm25 copy = Bm25::load(path, space_analyzer());
  copy.remove(c.ids[1]);
  copy.add(1, "w0 w0 w0");
  CHECK(copy.search("w0", 1)[0].id == 1);
  // An empty index round-trips too.
  Bm25 empty(space_analyzer());
  empty.save(dir.path / "empty.bm25");
  CHECK(Bm25::load(dir.path / "empty.bm25", space_analyzer()).empty());
}

TEST_CASE("Bm25: corrupt and mismatched files", "[retrieval][bm25]") {
  dapt_test::TempDir dir("bm25_bad");
  Bm25 bm25(space_analyzer());
  bm25.add(1, "alpha beta");
  bm25.add(2, "beta gamma gamma");
  const fs::path path = dir.path / "good.bm25";
  bm25.save(path);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& name, const std::string& b) {
    const fs::path p = dir.path / name;
    std::ofstream(p, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
    return p;
  };
  // Every byte is covered by a checksum or a layout check: flip bytes all over the file.
  for (std::size_t pos = 0; pos < bytes.size(); pos += 37) {
    std::string b = bytes;
    b[pos] = static_cast<char>(b[pos] ^ 0x5A);
    INFO("flipped byte " << pos);
    REQUIRE_DAPT_ERROR(Bm25::load(write("flip.bm25", b), space_analyzer()), kFormat, "flip.bm25");
  }
  REQUIRE_DAPT_ERROR(Bm25::load(write("short.bm25", bytes.substr(0, bytes.size() - 9)), space_analyzer()), kFormat,
                     "short.bm25");
  REQUIRE_DAPT_ERROR(Bm25::load(dir.path / "missing.bm25", space_analyzer()), kIo, "missing.bm25");
  REQUIRE_DAPT_ERROR(Bm25::load(path, default_analyzer()), kConfig, "test.space");

  // Files whose checksums are right but whose contents contradict each other.
  auto craft = [&](const std::string& name, std::vector<std::uint32_t> rows, std::vector<std::uint32_t> lengths,
                   std::uint32_t kind = retrieval::detail::index_kind("BM25")) {
    io::json::object meta;
    meta["format"] = "dapt.bm25";
    meta["version"] = 1;
    meta["analyzer"] = "test.space";
    meta["term_kind"] = "string";
    meta["k1"] = 1.2;
    meta["b"] = 0.75;
    meta["documents"] = 2;
    meta["terms"] = 2;
    meta["postings"] = rows.size();
    meta["total_length"] = 3;
    const std::vector<std::int64_t> ids{1, 2};
    const std::vector<std::uint64_t> term_offsets{0, 1, 2}, posting_offsets{0, 2, rows.size()};
    const std::string term_bytes = "ab";
    const std::vector<std::uint32_t> tfs(rows.size(), 1);
    retrieval::detail::IndexFileWriter w(kind);
    w.add_json("meta", meta);
    w.add_section("ids", std::span<const std::int64_t>(ids));
    w.add_section("lengths", std::span<const std::uint32_t>(lengths));
    w.add_section("term_offsets", std::span<const std::uint64_t>(term_offsets));
    w.add_section_copy("term_bytes", term_bytes);
    w.add_section("posting_offsets", std::span<const std::uint64_t>(posting_offsets));
    w.add_section("posting_rows", std::span<const std::uint32_t>(rows));
    w.add_section("posting_tfs", std::span<const std::uint32_t>(tfs));
    w.commit(dir.path / name);
    return dir.path / name;
  };
  CHECK(Bm25::load(craft("ok.bm25", {0, 1, 1}, {1, 2}), space_analyzer()).size() == 2);
  REQUIRE_DAPT_ERROR(Bm25::load(craft("row.bm25", {0, 5, 1}, {1, 2}), space_analyzer()), kFormat, "names row 5");
  REQUIRE_DAPT_ERROR(Bm25::load(craft("order.bm25", {1, 0, 1}, {1, 2}), space_analyzer()), kFormat, "increasing row");
  REQUIRE_DAPT_ERROR(Bm25::load(craft("len.bm25", {0, 1, 1}, {2, 1}), space_analyzer()), kFormat, "postings sum");
  REQUIRE_DAPT_ERROR(Bm25::load(craft("count.bm25", {0, 1}, {1, 2}), space_analyzer()), kFormat, "posting");
  REQUIRE_DAPT_ERROR(Bm25::load(craft("kind.bm25", {0, 1, 1}, {1, 2}, retrieval::detail::index_kind("FLAT")), space_analyzer()),
                     kFormat, "'FLAT'");
}
