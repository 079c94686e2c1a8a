/// @file trainer_test.cpp
/// @brief The BPE trainer (tokenizer/trainer.hpp), both flavours, on seeded synthetic corpora
/// (English-like prose, Verilog-like code, some Unicode): the same vocabulary and merges for any
/// thread count, block size and way of feeding; cuts that never change pre-tokenization; round
/// trips on held-out text with unseen characters; exact vocabulary size, special ids, min_frequency,
/// tokenizer.json round trips, compression that improves with the vocabulary, SentencePiece's piece
/// rules, invalid UTF-8, errors; and exactness against Hugging Face `tokenizers`' BpeTrainer on a
/// committed corpus (tools/gen_trainer_fixture.py made the fixtures).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dapt/io/json.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/tokenizer/regex_split.hpp"
#include "dapt/tokenizer/trainer.hpp"
#include "dapt_catch.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace dapt::tokenizer;

namespace {

/// splitmix64: a fixed, portable stream (std distributions differ between standard libraries).
struct Gen {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
};

const std::vector<std::string> kWords = {
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "with", "was", "on", "be", "by", "this",
    "are", "from", "at", "or", "an", "which", "have", "not", "clock", "signal", "register", "module", "design",
    "timing", "power", "reset", "logic", "value", "data", "path", "output", "input", "state", "machine",
    "counter", "memory", "cache", "width", "latch", "gate", "wire", "cell", "library", "synthesis", "placement",
    "routing", "verification", "assertion", "coverage", "testbench", "simulation", "don't", "it's"};
const std::vector<std::string> kUnicode = {"café", "naïve", "Größe", "Ωμέγα", "日本語", "中文",
                                           "электрон", "😀", "→", "µs", "±5%", "Zürich"};

std::string syllables(Gen& g) {
  static const std::string cons = "bcdfghklmnprstvwz", vow = "aeiou";
  std::string w;
  for (std::size_t i = 0, n = 1 + g.below(4); i < n; ++i) {
    w += cons[g.below(cons.size())];
    w += vow[g.below(vow.size())];
  }
  return w;
}

/// One document. Every document starts with a letter and ends with a non-space character and a
/// newline, so concatenating documents joins them at positions where pre-tokenization is cut.
std::string document(Gen& g) {
  std::string d;
  if (g.below(10) < 6) {
    for (std::size_t s = 0, n = 3 + g.below(8); s < n; ++s) {
      std::string sentence;
      for (std::size_t w = 0, m = 4 + g.below(12); w < m; ++w) {
        if (w) sentence += ' ';
        const std::size_t r = g.below(100);
        sentence += r < 75   ? g.pick(kWords)
                    : r < 88 ? syllables(g)
                    : r < 95 ? std::to_string(g.below(100000))
                             : g.pick(kUnicode);
      }
      sentence[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(sentence[0])));
      d += sentence;
      d += g.below(5) == 0 ? ",\n" : g.below(6) == 0 ? ".\n\n" : ". ";
    }
    while (!d.empty() && (d.back() == ' ' || d.back() == '\n')) d.pop_back();
    d += ".\n";
  } else {
    const std::string name = syllables(g);
    d += "module " + name + " (\n    input  logic clk,\n    input  logic rst_n,\n";
    std::vector<std::string> sigs;
    for (std::size_t i = 0, n = 2 + g.below(4); i < n; ++i) sigs.push_back(syllables(g) + (g.below(2) ? "_q" : "_en"));
    for (const auto& s : sigs) d += "    output logic [" + std::to_string(1 + g.below(31)) + ":0] " + s + ",\n";
    d += "    input  logic done\n);\n";
    for (const auto& s : sigs) {
      d += "  always_ff @(posedge clk or negedge rst_n) begin\n";
      d += "    if (!rst_n) " + s + " <= '0;\n";
      d += "    else " + s + " <= " + s + " + " + (g.below(2) ? "8'hFF" : "32'd" + std::to_string(g.below(999))) + ";\n";
      d += "  end\n";
      if (g.below(4) == 0) d += "  // " + g.pick(kWords) + " " + g.pick(kUnicode) + "\n";
    }
    d += "  assign " + sigs.front() + " = " + sigs.back() + " & ~" + sigs.front() + ";\nendmodule\n";
  }
  return d;
}

std::vector<std::string> corpus(std::uint64_t seed, std::size_t bytes) {
  Gen g{seed};
  std::vector<std::string> docs;
  std::size_t n = 0;
  while (n < bytes) {
    docs.push_back(document(g));
    n += docs.back().size();
  }
  return docs;
}

std::string join(const std::vector<std::string>& docs) {
  std::string all;
  for (const auto& d : docs) all += d;
  return all;
}

/// Every token's text and every merge: what "the same tokenizer" means here.
struct Trained {
  std::vector<std::string> tokens;
  std::vector<std::pair<TokenId, TokenId>> merges;
  std::vector<std::uint32_t> ranks;
  bool operator==(const Trained&) const = default;
};

Trained snapshot(const Tokenizer& tok) {
  Trained t;
  for (std::size_t i = 0; i < tok.vocab_size(); ++i) t.tokens.push_back(tok.id_to_token(static_cast<TokenId>(i)));
  for (const auto& m : tok.model().merges()) {
    t.merges.emplace_back(m.left, m.right);
    t.ranks.push_back(m.rank);
  }
  return t;
}

Tokenizer train_docs(const TrainerOptions& options, const std::vector<std::string>& docs, TrainerStats* stats = nullptr) {
  BpeTrainer trainer(options);
  for (const auto& d : docs) trainer.feed(d);
  Tokenizer tok = trainer.train();
  if (stats) *stats = trainer.stats();
  return tok;
}

double tokens_per_byte(const Tokenizer& tok, const std::vector<std::string>& docs) {
  std::size_t ids = 0, bytes = 0;
  for (const auto& d : docs) {
    ids += tok.encode(d).size();
    bytes += d.size();
  }
  return static_cast<double>(ids) / static_cast<double>(bytes);
}

TrainerOptions byte_level_options(std::size_t vocab, SplitRegex pattern = SplitRegex::kLlama3) {
  TrainerOptions o = TrainerOptions::byte_level(vocab, pattern);
  o.special_tokens = {"<|endoftext|>", "<|pad|>"};
  return o;
}

TrainerOptions spm_options(std::size_t vocab) {
  TrainerOptions o = TrainerOptions::sentencepiece(vocab);
  o.character_coverage = 0.999;
  return o;
}

const std::string kHeldOut =
    "Held-out: the reset_n flop drives 17 cells; Ωμέγα ☃ 𝄞 and 日本語 are rare, «quotes», \t tabs,\r\n"
    "module zq (input logic a);\n  assign b = a ^ 8'h5A;   // trailing spaces   \n\n\n"
    "   leading spaces, an emoji 🦀, a combining e\u0301 and ﬁ.";

}  // namespace

TEST_CASE("trainer: byte-level training is identical for 1, 2 and 4 threads and any block size", "[tokenizer][trainer]") {
  const auto docs = corpus(1, 150'000);
  const std::string all = join(docs);
  std::optional<Trained> first;
  for (const int threads : {1, 2, 4}) {
    for (const std::size_t block : {std::size_t{16} << 20, std::size_t{4096}, std::size_t{333}}) {
      INFO("threads " << threads << ", block " << block);
      TrainerOptions o = byte_level_options(700);
      o.threads = threads;
      o.block_bytes = block;
      BpeTrainer trainer(o);
      trainer.feed(all);
      const Trained t = snapshot(trainer.train());
      if (!first) first = t;
      REQUIRE(t == *first);
    }
  }
  CHECK(first->tokens.size() == 700);
}

TEST_CASE("trainer: sentencepiece training is identical for 1, 2 and 4 threads and any block size", "[tokenizer][trainer]") {
  const auto docs = corpus(2, 150'000);
  const std::string all = join(docs);
  std::optional<Trained> first;
  for (const int threads : {1, 2, 4}) {
    for (const std::size_t block : {std::size_t{16} << 20, std::size_t{1000}, std::size_t{97}}) {
      INFO("threads " << threads << ", block " << block);
      TrainerOptions o = spm_options(1200);
      o.threads = threads;
      o.block_bytes = block;
      BpeTrainer trainer(o);
      trainer.feed(all);
      const Trained t = snapshot(trainer.train());
      if (!first) first = t;
      REQUIRE(t == *first);
    }
  }
  CHECK(first->tokens.size() == 1200);
}

TEST_CASE("trainer: large merges on threads give the same merges as one thread", "[tokenizer][trainer]") {
  // Many distinct words, so that the early merges each rewrite thousands of them: enough for the
  // engine to try its threads (it measures both ways on the largest merges, then picks the
  // faster, so some merges run on threads whatever the machine's load).
  Gen g{9};
  std::vector<std::string> docs;
  for (int d = 0; d < 40; ++d) {
    std::string doc;
    for (int w = 0; w < 3000; ++w) doc += (w % 12 == 11 ? "\n" : w ? " " : "") + syllables(g) + syllables(g);
    docs.push_back(doc + "\n");
  }
  for (const auto flavour : {TrainerFlavour::kByteLevel, TrainerFlavour::kSentencePiece}) {
    std::optional<Trained> first;
    for (const int threads : {1, 3}) {
      TrainerOptions o = flavour == TrainerFlavour::kByteLevel ? byte_level_options(500) : spm_options(600);
      o.threads = threads;
      TrainerStats st;
      const Trained t = snapshot(train_docs(o, docs, &st));
      CHECK(st.threaded_merges == (threads == 1 ? 0u : st.threaded_merges));
      if (threads > 1) CHECK(st.threaded_merges > 0);
      if (!first) first = t;
      REQUIRE(t == *first);
    }
  }
}

TEST_CASE("trainer: feed, feed_files and feed_stream give the same tokenizer", "[tokenizer][trainer]") {
  const auto docs = corpus(3, 80'000);
  dapt_test::TempDir dir("trainer_feed");
  std::vector<fs::path> files;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    files.push_back(dir.path / ("doc" + std::to_string(i) + ".txt"));
    std::ofstream(files.back(), std::ios::binary) << docs[i];
  }
  const fs::path whole = dir.path / "all.txt";
  std::ofstream(whole, std::ios::binary) << join(docs);

  for (const auto flavour : {TrainerFlavour::kByteLevel, TrainerFlavour::kSentencePiece}) {
    TrainerOptions o = flavour == TrainerFlavour::kByteLevel ? byte_level_options(600) : spm_options(900);
    o.block_bytes = 1500;  // files are read in many blocks
    TrainerStats fed_stats;
    const Trained fed = snapshot(train_docs(o, docs, &fed_stats));

    // Progress bars change nothing (DAPT_PROGRESS=0 keeps them off the test output).
    const dapt_test::EnvGuard quiet(dapt::kProgressEnv, "0");
    TrainerOptions shown = o;
    shown.show_progress = true;
    BpeTrainer by_files(shown);
    by_files.feed_files(files);
    CHECK(snapshot(by_files.train()) == fed);
    CHECK(by_files.stats().documents == docs.size());
    CHECK(by_files.stats().bytes == fed_stats.bytes);
    CHECK(by_files.stats().pieces == fed_stats.pieces);

    BpeTrainer by_stream(shown);
    std::size_t next = 0;
    by_stream.feed_stream([&]() -> std::optional<std::string> {
      if (next == docs.size()) return std::nullopt;
      return docs[next++];
    });
    CHECK(snapshot(by_stream.train()) == fed);

    // The documents join at cut positions, so one file holding them all is the same corpus.
    BpeTrainer one_file(o);
    one_file.feed_files({whole});
    CHECK(snapshot(one_file.train()) == fed);
    CHECK(one_file.stats().documents == 1);
  }
}

TEST_CASE("trainer: a document is cut only where pre-tokenization cannot change", "[tokenizer][trainer]") {
  // Texts dense in the hard cases: whitespace runs around newlines, CR LF, punctuation before
  // newlines (LLaMA-3's `[\r\n]*` tail), contractions, digits, non-ASCII whitespace and letters,
  // and invalid bytes.
  const std::vector<std::string> atoms = {"a", "Zq", "'s", "'T", "123", "45", ";", "});", " ", "  ", "\t", "\n",
                                          "\n", "\n\n", "\r\n", " \n", "\u00a0", "\u3000", "é", "日本", "\xff",
                                          "\xe2\x80", "x\n", "}\n", "\n  ", "7\n"};
  Gen g{42};
  std::size_t cuts_checked = 0;
  for (int round = 0; round < 300; ++round) {
    std::string text;
    for (std::size_t i = 0, n = 5 + g.below(60); i < n; ++i) text += g.pick(atoms);
    for (const SplitRegex regex : {SplitRegex::kGpt2, SplitRegex::kLlama3}) {
      std::vector<std::pair<std::uint32_t, std::uint32_t>> whole;
      split_regex(regex, text, whole);
      for (std::size_t pos = 0; pos <= text.size(); ++pos) {
        if (!detail::is_safe_byte_level_cut(text, pos)) continue;
        ++cuts_checked;
        std::vector<std::pair<std::uint32_t, std::uint32_t>> left, right;
        split_regex(regex, std::string_view(text).substr(0, pos), left);
        split_regex(regex, std::string_view(text).substr(pos), right);
        for (auto& [b, e] : right) {
          b += static_cast<std::uint32_t>(pos);
          e += static_cast<std::uint32_t>(pos);
        }
        left.insert(left.end(), right.begin(), right.end());
        INFO("regex " << static_cast<int>(regex) << ", cut at " << pos << " of " << BpeModel::printable(text));
        REQUIRE(left == whole);
      }
    }
  }
  CHECK(cuts_checked > 300);
}

TEST_CASE("trainer: trained tokenizers round-trip held-out text, unseen Unicode included", "[tokenizer][trainer]") {
  const auto docs = corpus(4, 120'000);
  const auto held_out = corpus(1004, 20'000);
  for (const auto pattern : {SplitRegex::kLlama3, SplitRegex::kGpt2}) {
    const Tokenizer tok = train_docs(byte_level_options(800, pattern), docs);
    CHECK(tok.decode(tok.encode(kHeldOut)) == kHeldOut);
    for (const auto& d : held_out) REQUIRE(tok.decode(tok.encode(d)) == d);
  }
  const Tokenizer spm = train_docs(spm_options(1000), docs);
  CHECK(spm.decode(spm.encode(kHeldOut)) == kHeldOut);
  for (const auto& d : held_out) REQUIRE(spm.decode(spm.encode(d)) == d);
  // An unseen character goes to <0xXX> byte tokens, not to <unk> (after the dummy-prefix "▁").
  const auto ids = spm.encode("☃");
  REQUIRE(ids.size() == 4);
  CHECK(spm.id_to_token(ids[0]) == "\xe2\x96\x81");
  CHECK(spm.id_to_token(ids[1]) == "<0xE2>");
  CHECK(spm.id_to_token(ids[2]) == "<0x98>");
  CHECK(spm.id_to_token(ids[3]) == "<0x83>");
}

TEST_CASE("trainer: vocab_size is reached exactly and special tokens come first", "[tokenizer][trainer]") {
  const auto docs = corpus(5, 100'000);
  TrainerStats st;
  const Tokenizer tok = train_docs(byte_level_options(900), docs, &st);
  CHECK(tok.vocab_size() == 900);
  CHECK(st.vocab_size == 900);
  CHECK(st.stop == TrainStop::kVocabSize);
  CHECK_FALSE(st.stopped_early());
  CHECK(st.merges == 900 - 2 - 256);
  CHECK(tok.id_to_token(0) == "<|endoftext|>");
  CHECK(tok.id_to_token(1) == "<|pad|>");
  CHECK(tok.is_special(0));
  CHECK(tok.is_special(1));
  CHECK_FALSE(tok.is_special(2));
  CHECK(tok.id_to_token(2) == "!");  // the bytes follow, in GPT-2's character order
  CHECK(tok.id_to_token(2 + 255) == bytes_to_byte_level("\xad"));
  // Specials are matched as whole added tokens, before the model.
  const auto ids = tok.encode("data path<|endoftext|>clock<|pad|>");
  CHECK(std::count(ids.begin(), ids.end(), 0) == 1);
  CHECK(std::count(ids.begin(), ids.end(), 1) == 1);
  CHECK(tok.decode(ids, {.skip_special_tokens = true}) == "data pathclock");

  TrainerStats sst;
  const Tokenizer spm = train_docs(spm_options(1100), docs, &sst);
  CHECK(spm.vocab_size() == 1100);
  CHECK(sst.stop == TrainStop::kVocabSize);
  CHECK(spm.id_to_token(0) == "<unk>");
  CHECK(spm.id_to_token(1) == "<s>");
  CHECK(spm.id_to_token(2) == "</s>");
  CHECK(spm.id_to_token(3) == "<0x00>");
  CHECK(spm.id_to_token(258) == "<0xFF>");
  for (TokenId i = 0; i < 3; ++i) CHECK(spm.is_special(i));
  CHECK(spm.model().options().unk == 0);
  CHECK(spm.model().options().byte_fallback);
  // Pieces follow the bytes; the kept characters come last, the most frequent first.
  CHECK(spm.id_to_token(static_cast<TokenId>(1100 - sst.alphabet_size)) == "\xe2\x96\x81");
  const auto sids = spm.encode("</s>reset<s>");
  CHECK(sids.front() == 2);
  CHECK(sids.back() == 1);
}

TEST_CASE("trainer: min_frequency stops training early", "[tokenizer][trainer]") {
  const auto docs = corpus(6, 60'000);
  TrainerOptions o = byte_level_options(5000);
  o.min_frequency = 40;
  TrainerStats st;
  const Tokenizer tok = train_docs(o, docs, &st);
  CHECK(st.stop == TrainStop::kMinFrequency);
  CHECK(st.stopped_early());
  CHECK(tok.vocab_size() < 5000);
  CHECK(st.last_merge_count >= 40);
  // One more merge would have needed a pair seen 40 times: training with a lower bar goes on.
  o.min_frequency = 39;
  TrainerStats lower;
  (void)train_docs(o, docs, &lower);
  CHECK(lower.merges >= st.merges);

  TrainerOptions so = spm_options(5000);
  so.min_frequency = 40;
  TrainerStats sst;
  const Tokenizer spm = train_docs(so, docs, &sst);
  CHECK(sst.stop == TrainStop::kMinFrequency);
  CHECK(spm.vocab_size() < 5000);
  CHECK(sst.last_merge_count >= 40);

  // A vocabulary larger than the corpus allows stops when no pair is left.
  TrainerOptions all = byte_level_options(100000);
  all.min_frequency = 1;
  TrainerStats nst;
  (void)train_docs(all, {"abcabc abcabc\n"}, &nst);
  CHECK(nst.stop == TrainStop::kNoPairs);
}

TEST_CASE("trainer: a trained tokenizer.json loads back with identical ids", "[tokenizer][trainer]") {
  const auto docs = corpus(7, 80'000);
  dapt_test::TempDir dir("trainer_json");
  const std::vector<Tokenizer> trained = {train_docs(byte_level_options(700), docs),
                                          train_docs(byte_level_options(700, SplitRegex::kGpt2), docs),
                                          train_docs(spm_options(900), docs)};
  int n = 0;
  for (const auto& tok : trained) {
    const fs::path file = dir.path / ("t" + std::to_string(n++) + ".json");
    save_hf_tokenizer(file, tok);
    const Tokenizer again = load_hf_tokenizer(file).tokenizer;
    CHECK(snapshot(again).tokens == snapshot(tok).tokens);
    CHECK(again.model().merges().size() == tok.model().merges().size());
    for (const std::string& text : {kHeldOut, docs[0], docs[1]}) {
      REQUIRE(again.encode(text) == tok.encode(text));
      CHECK(again.decode(again.encode(text)) == text);
    }
    // Special tokens too (the LLaMA-2 pipeline gives every text segment its own "▁" prefix, so
    // only the ids are compared here).
    CHECK(again.encode("<|endoftext|> <s> x</s>") == tok.encode("<|endoftext|> <s> x</s>"));
  }
}

TEST_CASE("trainer: a larger vocabulary compresses the training domain better", "[tokenizer][trainer]") {
  const auto docs = corpus(8, 120'000);
  for (const auto flavour : {TrainerFlavour::kByteLevel, TrainerFlavour::kSentencePiece}) {
    double previous = 1e9;
    for (const std::size_t extra : {100, 400, 1600}) {
      TrainerOptions o = flavour == TrainerFlavour::kByteLevel ? byte_level_options(258 + extra) : spm_options(0);
      if (flavour == TrainerFlavour::kSentencePiece) {
        // The SentencePiece alphabet depends on the corpus: size the vocabulary above it.
        TrainerStats probe;
        o.vocab_size = 100000;
        o.min_frequency = 1000000;
        (void)train_docs(o, docs, &probe);
        o.vocab_size = 3 + 256 + probe.alphabet_size + extra;
        o.min_frequency = 2;
      }
      const double tpb = tokens_per_byte(train_docs(o, docs), docs);
      INFO("flavour " << static_cast<int>(flavour) << ", extra " << extra << ": " << tpb << " tokens per byte");
      CHECK(tpb < previous);
      previous = tpb;
    }
    CHECK(previous < 0.4);
  }
}

TEST_CASE("trainer: byte-level merges equal Hugging Face tokenizers' BpeTrainer", "[tokenizer][trainer]") {
  const auto root = dapt::io::read_json_file(DAPT_TEST_DATA_DIR "/tokenizers/trainer_corpus.json");
  std::vector<std::string> docs;
  for (const auto& d : root.as_object().at("documents").as_array()) docs.emplace_back(d.as_string());
  REQUIRE(docs.size() > 100);
  struct Case {
    const char* file;
    SplitRegex pattern;
    std::size_t vocab;
  };
  for (const Case c : {Case{"trainer_hf_gpt2.json", SplitRegex::kGpt2, 1000},
                       Case{"trainer_hf_llama3.json", SplitRegex::kLlama3, 1500}}) {
    INFO(c.file);
    const Tokenizer reference = load_hf_tokenizer(fs::path(DAPT_TEST_DATA_DIR "/tokenizers") / c.file).tokenizer;
    TrainerOptions o = TrainerOptions::byte_level(c.vocab, c.pattern);
    o.special_tokens = {"<|endoftext|>"};
    TrainerStats st;
    const Tokenizer ours = train_docs(o, docs, &st);
    const Trained a = snapshot(ours), b = snapshot(reference);
    REQUIRE(a.tokens.size() == b.tokens.size());
    for (std::size_t i = 0; i < a.tokens.size(); ++i) {
      INFO("id " << i);
      REQUIRE(a.tokens[i] == b.tokens[i]);
    }
    REQUIRE(a.merges.size() == b.merges.size());
    for (std::size_t i = 0; i < a.merges.size(); ++i) {
      INFO("merge " << i);
      REQUIRE(a.merges[i] == b.merges[i]);
    }
    if (reference.vocab_size() < c.vocab) CHECK(st.stopped_early());
    for (const auto& d : {docs[0], docs[7], kHeldOut}) CHECK(ours.encode(d) == reference.encode(d));
  }
}

TEST_CASE("trainer: sentencepiece-style pieces equal sentencepiece's BPE trainer", "[tokenizer][trainer]") {
  const auto root = dapt::io::read_json_file(DAPT_TEST_DATA_DIR "/tokenizers/trainer_corpus.json");
  std::vector<std::string> docs;
  for (const auto& d : root.as_object().at("documents").as_array()) docs.emplace_back(d.as_string());
  const auto ref = dapt::io::read_json_file(DAPT_TEST_DATA_DIR "/tokenizers/trainer_spm_pieces.json").as_object();
  std::vector<std::string> pieces;
  for (const auto& p : ref.at("pieces").as_array()) pieces.emplace_back(p.as_string());
  const auto vocab = static_cast<std::size_t>(ref.at("vocab_size").to_number<std::int64_t>());
  REQUIRE(pieces.size() == vocab);
  const Tokenizer ours = train_docs(TrainerOptions::sentencepiece(vocab), docs);
  REQUIRE(ours.vocab_size() == vocab);
  for (std::size_t i = 0; i < vocab; ++i) {
    INFO("id " << i);
    REQUIRE(ours.id_to_token(static_cast<TokenId>(i)) == pieces[i]);
  }
}

TEST_CASE("trainer: sentencepiece pieces follow SentencePiece's rules", "[tokenizer][trainer]") {
  auto docs = corpus(10, 100'000);
  docs.push_back("Rare ǂ here.\n");  // below the coverage: left to byte fallback
  TrainerOptions o = spm_options(1500);
  o.max_piece_length = 6;
  o.initial_alphabet = {"☃"};
  TrainerStats st;
  const Tokenizer tok = train_docs(o, docs, &st);
  const std::string space = "\xe2\x96\x81";
  std::size_t pieces = 0;
  for (std::size_t id = 259; id < tok.vocab_size(); ++id) {
    const std::string& t = tok.id_to_token(static_cast<TokenId>(id));
    std::vector<char32_t> chars;
    for (std::size_t pos = 0; pos < t.size();) {
      const auto c = decode_utf8(t, pos);
      REQUIRE(c.valid);
      chars.push_back(c.code_point);
      pos += c.length;
    }
    INFO("token " << t);
    CHECK(chars.size() <= 6);
    if (chars.size() == 1) continue;
    ++pieces;
    bool digits = false, all_space = true;
    for (std::size_t i = 0; i < chars.size(); ++i) {
      digits = digits || (chars[i] >= '0' && chars[i] <= '9');
      all_space = all_space && chars[i] == 0x2581;
    }
    CHECK_FALSE(digits);  // split_digits
    if (!all_space)
      for (std::size_t i = 1; i < chars.size(); ++i) CHECK(chars[i] != 0x2581);  // "▁" only leads a piece
    // One script: never ASCII letters beside ASCII punctuation.
    bool letter = false, punct = false;
    for (const char32_t c : chars) {
      if (c < 0x80 && std::isalpha(static_cast<int>(c))) letter = true;
      if (c < 0x80 && std::ispunct(static_cast<int>(c))) punct = true;
    }
    CHECK_FALSE((letter && punct));
  }
  CHECK(pieces > 500);
  CHECK(tok.token_to_id("☃").has_value());       // initial_alphabet is kept, though unseen
  CHECK_FALSE(tok.token_to_id("ǂ").has_value());  // a rare character is not
  CHECK(st.dropped_characters >= 1);
  CHECK(st.character_coverage >= 0.999);
  CHECK(st.character_coverage < 1.0);
  CHECK(tok.decode(tok.encode("Rare ǂ here.")) == "Rare ǂ here.");
  // Whitespace-only pieces exist for indentation (allow_whitespace_only_pieces, as in LLaMA-2).
  CHECK(tok.token_to_id(space + space).has_value());
  CHECK(tok.token_to_id(space + space + space).has_value());
  CHECK(st.lines > 1000);
}

TEST_CASE("trainer: sentencepiece skips lines above max_sentence_bytes", "[tokenizer][trainer]") {
  const std::string long_line(5000, 'q');
  const std::vector<std::string> docs = {"short line here\n" + long_line + "\nanother short line\n"};
  TrainerOptions o = spm_options(300);
  TrainerStats st;
  const Tokenizer tok = train_docs(o, docs, &st);
  CHECK(st.lines == 2);
  CHECK(st.skipped_lines == 1);
  CHECK_FALSE(tok.token_to_id("qq").has_value());
  o.max_sentence_bytes = 0;  // keep every line
  TrainerStats all;
  const Tokenizer kept = train_docs(o, docs, &all);
  CHECK(all.lines == 3);
  CHECK(all.skipped_lines == 0);
  CHECK(kept.token_to_id("qq").has_value());
}

TEST_CASE("trainer: invalid UTF-8 is counted as bytes or replaced by U+FFFD", "[tokenizer][trainer]") {
  std::vector<std::string> bad, replaced;
  for (int i = 0; i < 200; ++i) {
    bad.push_back("word ab\xff" "cd tail " + std::to_string(i % 7) + "\n");
    replaced.push_back("word ab\xef\xbf\xbd" "cd tail " + std::to_string(i % 7) + "\n");
  }
  // Byte-level: the raw bytes train like any other; a token may hold the invalid byte.
  TrainerOptions o = byte_level_options(400);
  o.min_frequency = 1;
  TrainerStats st;
  const Tokenizer tok = train_docs(o, bad, &st);
  CHECK(st.invalid_utf8_bytes == 200);
  CHECK(tok.token_to_id(bytes_to_byte_level("\xff" "cd")).has_value());  // LLaMA-3: `[^\r\n\p{L}\p{N}]?\p{L}+`
  CHECK(tok.decode(tok.encode("word abcd tail")) == "word abcd tail");
  // SentencePiece: each invalid byte is U+FFFD, exactly as if the text had held U+FFFD.
  TrainerOptions so = spm_options(320);
  TrainerStats sst;
  const Trained from_bad = snapshot(train_docs(so, bad, &sst));
  CHECK(sst.invalid_utf8_bytes == 200);
  CHECK(from_bad == snapshot(train_docs(so, replaced)));
  for (const auto& t : from_bad.tokens) CHECK(is_valid_utf8(t));
}

TEST_CASE("trainer: bad options and unreadable files are errors", "[tokenizer][trainer]") {
  TrainerOptions o = byte_level_options(300);
  o.block_bytes = 0;
  REQUIRE_DAPT_ERROR(BpeTrainer(o), kInvalidArgument, "block_bytes");
  o = byte_level_options(300);
  o.special_tokens = {"<a>", "<a>"};
  REQUIRE_DAPT_ERROR(BpeTrainer(o), kInvalidArgument, "listed twice");
  o.special_tokens = {"x"};
  REQUIRE_DAPT_ERROR(BpeTrainer(o).train(), kInvalidArgument, "byte token");
  o = spm_options(1000);
  o.character_coverage = 0;
  REQUIRE_DAPT_ERROR(BpeTrainer(o), kInvalidArgument, "character_coverage");
  o = spm_options(1000);
  o.initial_alphabet = {"ab"};
  REQUIRE_DAPT_ERROR(BpeTrainer(o), kInvalidArgument, "initial_alphabet");
  o = spm_options(1000);
  o.max_piece_length = 0;
  REQUIRE_DAPT_ERROR(BpeTrainer(o), kInvalidArgument, "max_piece_length");

  BpeTrainer small(byte_level_options(257));
  small.feed("anything");
  REQUIRE_DAPT_ERROR(small.train(), kInvalidArgument, "vocab_size 257");
  BpeTrainer small_spm(spm_options(262));
  small_spm.feed("abcdefgh\n");
  REQUIRE_DAPT_ERROR(small_spm.train(), kInvalidArgument, "character_coverage keeps");

  dapt_test::TempDir dir("trainer_errors");
  const fs::path good = dir.path / "good.txt";
  std::ofstream(good) << "text\n";
  BpeTrainer trainer(byte_level_options(300));
  REQUIRE_DAPT_ERROR(trainer.feed_files({good, dir.path / "missing.txt"}), kIo, "missing.txt");
  CHECK(trainer.stats().bytes == 0);  // every file is checked before any is counted
  REQUIRE_DAPT_ERROR(trainer.feed_files({dir.path}), kIo, "not a regular file");
  REQUIRE_DAPT_ERROR(trainer.feed_stream({}), kInvalidArgument, "empty callback");
}

TEST_CASE("trainer: an empty corpus gives the bare alphabet", "[tokenizer][trainer]") {
  BpeTrainer bl(byte_level_options(1000));
  const Tokenizer tok = bl.train();
  CHECK(tok.vocab_size() == 2 + 256);
  CHECK(bl.stats().stop == TrainStop::kNoPairs);
  CHECK(tok.decode(tok.encode("still encodes ☃")) == "still encodes ☃");

  BpeTrainer spm(spm_options(1000));
  spm.feed("");
  spm.feed("\n\n\n");  // empty lines are no sentences (a lone "\r" would be one, as in SentencePiece)
  const Tokenizer s = spm.train();
  CHECK(s.vocab_size() == 3 + 256 + 1);  // "▁" is always kept
  CHECK(spm.stats().lines == 0);
  CHECK(s.decode(s.encode("any text ☃")) == "any text ☃");
}
