// eval::perplexity: parity with the Hugging Face reference loss of the tiny fixture, the sliding
// window against a literal transcription of the Hugging Face guide's loop computed from
// forward() logits with a log-softmax in double, batching with reused buffers, the text and file
// overloads with bits per byte, and refused inputs.
#include "dapt/eval/perplexity.hpp"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "dapt/eval/multiple_choice.hpp"
#include "dapt/io/safetensors.hpp"
#include "dapt_catch.hpp"
#include "dapt/extern_templates.hpp"
#include "eval/eval_test_util.hpp"
#include "test_util.hpp"

using namespace dapt;
using eval_test::TokenId;
namespace fs = std::filesystem;

namespace {

std::vector<std::vector<TokenId>> reference_rows(const io::SafetensorsFile& ref) {
  const Tensor<Cpu> ids = ref.copy("input_ids");
  const std::int64_t b = ids.dim(0), t = ids.dim(1);
  std::vector<std::vector<TokenId>> rows(static_cast<std::size_t>(b));
  for (std::int64_t i = 0; i < b; ++i)
    for (std::int64_t j = 0; j < t; ++j)
      rows[static_cast<std::size_t>(i)].push_back(static_cast<TokenId>(ids.data<const std::int64_t>()[i * t + j]));
  return rows;
}

/// Deterministic documents of the given lengths, ids spread over the whole vocabulary.
std::vector<std::vector<TokenId>> random_docs(const std::vector<std::int64_t>& lengths, std::int64_t vocab) {
  std::vector<std::vector<TokenId>> docs;
  std::uint64_t x = 12345;
  for (std::int64_t n : lengths) {
    std::vector<TokenId> d;
    for (std::int64_t i = 0; i < n; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      d.push_back(static_cast<TokenId>((x >> 33) % static_cast<std::uint64_t>(vocab)));
    }
    docs.push_back(std::move(d));
  }
  return docs;
}

struct Brute {
  double sum = 0;
  std::int64_t tokens = 0;
  std::int64_t windows = 0;
};

/// The Hugging Face guide's loop, transcribed literally, one document at a time:
///   for begin_loc in range(0, seq_len, stride):
///       end_loc = min(begin_loc + max_length, seq_len); trg_len = end_loc - prev_end_loc
///       input_ids = ids[begin_loc:end_loc]; target_ids = input_ids.clone()
///       target_ids[:, :-trg_len] = -100
///       loss = model(input_ids, labels=target_ids)   # position j predicts target j + 1
///       prev_end_loc = end_loc; if end_loc == seq_len: break
/// with the loss summed (not averaged) from forward() logits and a log-softmax in double.
Brute brute_force_perplexity(nn::Llama<Cpu>& model, const std::vector<std::vector<TokenId>>& docs, std::int64_t max_length,
                  std::int64_t stride, std::optional<TokenId> prefix) {
  const std::int64_t v = model.config().vocab_size;
  Brute out;
  for (const auto& d : docs) {
    std::vector<TokenId> seq;
    if (prefix) seq.push_back(*prefix);
    seq.insert(seq.end(), d.begin(), d.end());
    const auto seq_len = static_cast<std::int64_t>(seq.size());
    std::int64_t prev_end = 0;
    for (std::int64_t begin = 0; begin < seq_len; begin += stride) {
      const std::int64_t end = std::min(begin + max_length, seq_len);
      const std::int64_t trg_len = end - prev_end;
      const std::int64_t len = end - begin;
      std::vector<TokenId> input(seq.begin() + begin, seq.begin() + end);
      std::vector<bool> target(static_cast<std::size_t>(len), true);
      for (std::int64_t j = 0; j < len - trg_len; ++j) target[static_cast<std::size_t>(j)] = false;
      const std::vector<float> logits = eval_test::row_logits(model, input);
      bool any = false;
      for (std::int64_t j = 0; j + 1 < len; ++j) {
        if (!target[static_cast<std::size_t>(j + 1)]) continue;
        out.sum -= eval_test::log_prob(logits.data() + j * v, v, input[static_cast<std::size_t>(j + 1)]);
        ++out.tokens;
        any = true;
      }
      out.windows += any;
      prev_end = end;
      if (end == seq_len) break;
    }
  }
  return out;
}

double rel_diff(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

/// A model that only has the chunked loss, recording what perplexity passes it.
struct Recorder {
  nn::Llama<Cpu>& model;
  std::vector<const void*> ids_ptr, labels_ptr;
  std::vector<Shape> shapes;
  const io::LlamaConfig& config() const { return model.config(); }
  nn::LossResult forward_loss(const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const nn::LossOptions& o) {
    ids_ptr.push_back(ids.raw());
    labels_ptr.push_back(labels.raw());
    shapes.push_back(ids.shape());
    return model.forward_loss(ids, labels, o);
  }
};
static_assert(eval::LossModel<Recorder>);
static_assert(!eval::LogitsModel<Recorder>, "the recorder has no forward(): perplexity cannot build full logits");
static_assert(eval::LossModel<nn::Llama<Cpu>> && eval::LogitsModel<nn::Llama<Cpu>>);

}  // namespace

TEST_CASE("perplexity equals exp(loss_nomask) of the Hugging Face reference", "[eval][perplexity][parity]") {
  const auto ref = io::SafetensorsFile::open(eval_test::fixture_dir() / "reference.safetensors");
  auto model = eval_test::tiny_model();
  const auto rows = reference_rows(ref);
  const double loss_nomask = ref.to_f32("loss_nomask").data<const float>()[0];
  const auto t = static_cast<std::int64_t>(rows[0].size());
  for (std::int64_t batch : {1, 2}) {
    for (std::int64_t context : {t, std::int64_t{0}}) {  // 0: the model's 128 positions, still one window
      INFO("batch " << batch << ", context " << context);
      eval::PerplexityOptions o;
      o.context = context;
      o.batch_size = batch;
      const eval::PerplexityResult r = eval::perplexity(*model, rows, o);
      INFO("nll " << r.nll << " reference loss_nomask " << loss_nomask << ", perplexity " << r.perplexity);
      CHECK(r.tokens == 2 * (t - 1));
      CHECK(r.documents == 2);
      CHECK(r.windows == 2);
      CHECK(rel_diff(r.perplexity, std::exp(loss_nomask)) < 1e-5);
      CHECK(rel_diff(r.nll, loss_nomask) < 1e-5);
      CHECK(!r.bits_per_byte);
    }
  }
}

TEST_CASE("perplexity: sliding windows equal the Hugging Face loop over forward() logits", "[eval][perplexity]") {
  auto model = eval_test::tiny_model();
  const std::int64_t v = model->config().vocab_size;
  const auto docs = random_docs({40, 1, 7, 45, 2, 16, 17, 0, 23}, v);
  struct Case {
    std::int64_t context, stride;
  };
  for (const Case c : {Case{16, 5}, Case{16, 1}, Case{16, 15}, Case{16, 16}, Case{9, 8}, Case{2, 1}, Case{24, 7},
                       Case{70, 20}}) {
    for (const std::optional<TokenId> prefix : {std::optional<TokenId>{}, std::optional<TokenId>{1}}) {
      const Brute want = brute_force_perplexity(*model, docs, c.context, c.stride, prefix);
      for (std::int64_t batch : {1, 5}) {
        INFO("context " << c.context << ", stride " << c.stride << ", prefix " << (prefix ? 1 : 0) << ", batch "
                        << batch);
        eval::PerplexityOptions o;
        o.context = c.context;
        o.stride = c.stride;
        o.batch_size = batch;
        o.prefix_id = prefix;
        const eval::PerplexityResult r = eval::perplexity(*model, docs, o);
        INFO("sum " << r.nll_sum << " brute force " << want.sum << ", tokens " << r.tokens << " / " << want.tokens);
        CHECK(r.tokens == want.tokens);
        CHECK(r.windows == want.windows);
        CHECK(rel_diff(r.nll_sum, want.sum) < 1e-5);
        CHECK(rel_diff(r.perplexity, std::exp(want.sum / static_cast<double>(want.tokens))) < 1e-5);
      }
    }
  }
  // Every token but each document's first is scored once whatever the stride (< context); with
  // the prefix every token is.
  std::int64_t all = 0, firsts = 0;
  for (const auto& d : docs) {
    all += static_cast<std::int64_t>(d.size());
    firsts += !d.empty();
  }
  eval::PerplexityOptions o;
  o.context = 16;
  o.stride = 3;
  CHECK(eval::perplexity(*model, docs, o).tokens == all - firsts);
  o.prefix_id = 2;
  CHECK(eval::perplexity(*model, docs, o).tokens == all);
  // A single document through the span overload equals the same document in a list.
  const eval::PerplexityResult one = eval::perplexity(*model, std::span<const TokenId>(docs[3]), o);
  const eval::PerplexityResult list = eval::perplexity(*model, std::vector<std::vector<TokenId>>{docs[3]}, o);
  CHECK(one.nll_sum == list.nll_sum);
  CHECK(one.tokens == 45);
}

TEST_CASE("perplexity: windows are batched through forward_loss into two reused buffers", "[eval][perplexity]") {
  auto model = eval_test::tiny_model();
  const auto docs = random_docs({50, 5, 31, 12}, model->config().vocab_size);
  eval::PerplexityOptions o;
  o.context = 12;
  o.stride = 4;
  Recorder unbatched{*model, {}, {}, {}};
  const eval::PerplexityResult r1 = eval::perplexity(unbatched, docs, o);
  o.batch_size = 4;
  Recorder rec{*model, {}, {}, {}};
  const eval::PerplexityResult r4 = eval::perplexity(rec, docs, o);
  INFO("windows " << r4.windows << ", calls " << rec.shapes.size());
  CHECK(r1.windows == static_cast<std::int64_t>(unbatched.shapes.size()));
  CHECK(static_cast<std::int64_t>(rec.shapes.size()) == (r4.windows + 3) / 4);
  CHECK(r4.windows == r1.windows);
  CHECK(r4.tokens == r1.tokens);
  CHECK(rel_diff(r4.nll_sum, r1.nll_sum) < 1e-6);
  for (std::size_t i = 0; i < rec.shapes.size(); ++i) {
    CHECK(rec.ids_ptr[i] == rec.ids_ptr[0]);
    CHECK(rec.labels_ptr[i] == rec.labels_ptr[0]);
    CHECK(rec.shapes[i].dim(0) <= 4);
    CHECK(rec.shapes[i].dim(1) <= 12);
  }
  CHECK(rec.shapes.front() == Shape({4, 12}));
}

TEST_CASE("perplexity: texts, files and bits per byte", "[eval][perplexity]") {
  auto model = eval_test::tiny_model();
  const tokenizer::Tokenizer tok = eval_test::tiny_tokenizer();
  REQUIRE(static_cast<std::int64_t>(tok.vocab_size()) <= model->config().vocab_size);
  const std::vector<std::string> texts = {
      "the cat sat on the mat while the dog slept in the sun, and the clock gated the flop.",
      "Ωμέγα: a held-out line with rare bytes ☃ and 日本語.",
      "x",
      "is the sun red? the cat says yes.",
  };
  eval::PerplexityOptions o;
  o.context = 16;
  o.stride = 6;
  o.batch_size = 3;
  std::int64_t bytes = 0;
  std::vector<std::vector<TokenId>> docs;
  for (const auto& t : texts) {
    bytes += static_cast<std::int64_t>(t.size());
    docs.push_back(tok.encode(t));
  }
  const eval::PerplexityResult from_text = eval::perplexity(*model, tok, texts, o);
  const eval::PerplexityResult from_ids = eval::perplexity(*model, docs, o, bytes);
  CHECK(from_text.nll_sum == from_ids.nll_sum);
  CHECK(from_text.tokens == from_ids.tokens);
  CHECK(from_text.bytes == bytes);
  REQUIRE(from_text.bits_per_byte);
  CHECK(rel_diff(*from_text.bits_per_byte, from_text.nll_sum / (static_cast<double>(bytes) * std::numbers::ln2)) < 1e-12);
  CHECK(*from_ids.bits_per_byte == *from_text.bits_per_byte);

  // With a prefix every token is scored, so bits per byte covers the whole text.
  o.prefix_id = 0;
  const eval::PerplexityResult full = eval::perplexity(*model, tok, texts, o);
  std::int64_t all = 0;
  for (const auto& d : docs) all += static_cast<std::int64_t>(d.size());
  CHECK(full.tokens == all);
  const Brute want = brute_force_perplexity(*model, docs, 16, 6, TokenId{0});
  CHECK(rel_diff(full.nll_sum, want.sum) < 1e-5);
  INFO("tiny fixture model (random weights), 300-id BPE, context 16 stride 6: perplexity " << full.perplexity << ", "
       << *full.bits_per_byte << " bits/byte over " << full.tokens << " tokens / " << full.bytes << " bytes");

  dapt_test::TempDir dir("eval_perplexity_files");
  std::vector<fs::path> files;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    files.push_back(dir.path / ("doc" + std::to_string(i) + ".txt"));
    std::ofstream(files.back(), std::ios::binary) << texts[i];
  }
  const eval::PerplexityResult from_files = eval::perplexity_files(*model, tok, files, o);
  CHECK(from_files.nll_sum == full.nll_sum);
  CHECK(from_files.tokens == full.tokens);
  CHECK(from_files.bytes == full.bytes);

  SECTION("bad text is reported with its name") {
    const std::vector<std::string> bad = {"fine", std::string("caf\xe9 au lait")};
    REQUIRE_DAPT_ERROR(eval::perplexity(*model, tok, bad, o), kInvalidArgument, "text 1");
    std::ofstream(dir.path / "bad.txt", std::ios::binary) << bad[1];
    const std::vector<fs::path> bad_files = {files[0], dir.path / "bad.txt"};
    REQUIRE_DAPT_ERROR(eval::perplexity_files(*model, tok, bad_files, o), kInvalidArgument, "bad.txt");
    const std::vector<fs::path> missing = {dir.path / "missing.txt"};
    REQUIRE_DAPT_ERROR(eval::perplexity_files(*model, tok, missing, o), kIo, "missing.txt");
    o.max_file_bytes = 10;
    REQUIRE_DAPT_ERROR(eval::perplexity_files(*model, tok, files, o), kFormat, "doc0.txt");
  }
}

TEST_CASE("perplexity: bad options and inputs are refused", "[eval][perplexity]") {
  auto model = eval_test::tiny_model();
  const auto docs = random_docs({20, 9}, model->config().vocab_size);
  const auto with = [&](auto edit) {
    eval::PerplexityOptions o;
    o.context = 8;
    edit(o);
    return eval::perplexity(*model, docs, o);
  };
  REQUIRE_DAPT_ERROR(with([](auto& o) { o.stride = 9; }), kInvalidArgument, "stride must be in [1, context = 8]");
  REQUIRE_DAPT_ERROR(with([](auto& o) { o.stride = -1; }), kInvalidArgument, "stride");
  REQUIRE_DAPT_ERROR(with([](auto& o) { o.context = 1; }), kInvalidArgument, "context must be at least 2");
  REQUIRE_DAPT_ERROR(with([](auto& o) { o.batch_size = 0; }), kInvalidArgument, "batch_size");
  REQUIRE_DAPT_ERROR(with([](auto& o) { o.pad_id = 320; }), kInvalidArgument, "pad_id 320");
  REQUIRE_DAPT_ERROR(with([](auto& o) { o.prefix_id = -1; }), kInvalidArgument, "prefix_id -1");
  REQUIRE_DAPT_ERROR(eval::perplexity(*model, docs, {}, -5), kInvalidArgument, "bytes");

  auto bad = docs;
  bad[1][4] = 320;
  REQUIRE_DAPT_ERROR(eval::perplexity(*model, bad, {}), kOutOfRange, "token id 320 at position 4 of document 1");
  bad[1][4] = -7;
  REQUIRE_DAPT_ERROR(eval::perplexity(*model, bad, {}), kOutOfRange, "token id -7");

  const std::vector<std::vector<TokenId>> tiny = {{5}, {}, {7}};
  REQUIRE_DAPT_ERROR(eval::perplexity(*model, tiny, {}), kInvalidArgument, "nothing to score");
  REQUIRE_DAPT_ERROR(eval::perplexity(*model, std::vector<std::vector<TokenId>>{}, {}), kInvalidArgument,
                     "nothing to score");
  eval::PerplexityOptions prefixed;
  prefixed.prefix_id = 1;
  CHECK(eval::perplexity(*model, tiny, prefixed).tokens == 2);  // with a prefix, one token is enough

  // A model that produces NaN is reported, not averaged into a NaN perplexity.
  model->visit_parameters([](const std::string& name, nn::Param<Cpu>& p) {
    if (name == "lm_head.weight") p.value().data<float>()[5] = std::nanf("");
  });
  REQUIRE_DAPT_ERROR(eval::perplexity(*model, docs, {}), kNumeric, "NaN or Inf");
}
