// eval::multiple_choice: lm-eval's tokenization of context + continuation (whitespace moved to
// the continuation, BPE merges across the boundary), scores against a brute-force log-softmax of
// forward() logits for every batch size and with truncation, a rigged model whose boosted choice
// is picked, normalisations that change the pick, and the JSONL loader against malformed and
// hostile lines. Also compiles and runs the example of docs/eval.md.
#include "dapt/eval/multiple_choice.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "dapt/eval/perplexity.hpp"
#include "dapt_catch.hpp"
#include "dapt/extern_templates.hpp"
#include "eval/eval_test_util.hpp"
#include "test_util.hpp"

using namespace dapt;
using eval_test::TokenId;
namespace fs = std::filesystem;

namespace {

std::vector<TokenId> cat(std::vector<TokenId> a, const std::vector<TokenId>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// Rigs the tiny model so that at every position the logits are 0 except the `boosted` token's,
/// which is about `boost`: dimension 0 of the residual stream is held at 100 (embedding column 0,
/// and no block writes it), the final norm keeps only that dimension, and the head reads it only
/// into the boosted row. With no boosted token every logit is exactly 0 (a uniform model).
void rig(nn::Llama<Cpu>& m, std::optional<TokenId> boosted, float boost) {
  const std::int64_t c = m.config().hidden_size;
  m.visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    float* w = p.value().data<float>();
    const std::int64_t rows = p.value().dim(0), cols = p.value().rank() == 2 ? p.value().dim(1) : 1;
    const auto ends_with = [&](const std::string& s) { return name.size() >= s.size() && name.ends_with(s); };
    if (name == "model.embed_tokens.weight") {
      for (std::int64_t r = 0; r < rows; ++r) w[r * cols] = 100.0f;
    } else if (ends_with("o_proj.weight") || ends_with("down_proj.weight")) {
      for (std::int64_t j = 0; j < cols; ++j) w[j] = 0.0f;  // row 0 writes dimension 0
    } else if (name == "model.norm.weight") {
      for (std::int64_t j = 0; j < rows; ++j) w[j] = j == 0 ? 1.0f : 0.0f;
    } else if (name == "lm_head.weight") {
      for (std::int64_t i = 0; i < rows * cols; ++i) w[i] = 0.0f;
      // The normed dimension 0 is 100 / rms(x) ~ sqrt(c) = 8, since the other dimensions are small.
      if (boosted) w[*boosted * c] = boost / std::sqrt(static_cast<float>(c));
    }
  });
}

/// The brute-force score of one continuation: context ++ continuation truncated on the left to
/// max_length + 1 tokens, run without its last token as one unpadded row, and the continuation's
/// log-probabilities summed in double.
eval::ChoiceScore brute_force_choice(nn::Llama<Cpu>& model, const std::vector<TokenId>& context,
                              const std::vector<TokenId>& continuation, std::int64_t max_length) {
  std::vector<TokenId> seq = cat(context, continuation);
  if (static_cast<std::int64_t>(seq.size()) > max_length + 1) seq.erase(seq.begin(), seq.end() - (max_length + 1));
  const std::vector<TokenId> input(seq.begin(), seq.end() - 1);
  const std::int64_t v = model.config().vocab_size, n = static_cast<std::int64_t>(input.size()),
                     k = static_cast<std::int64_t>(continuation.size());
  const std::vector<float> logits = eval_test::row_logits(model, input);
  eval::ChoiceScore s;
  s.tokens = k;
  s.greedy = true;
  for (std::int64_t i = 0; i < k; ++i) {
    const float* row = logits.data() + (n - k + i) * v;
    const TokenId target = continuation[static_cast<std::size_t>(i)];
    s.logprob += eval_test::log_prob(row, v, target);
    s.greedy = s.greedy && eval_test::argmax(row, v) == target;
  }
  return s;
}

std::vector<eval::Question> sample_questions() {
  return {
      {"Question: is the sun red? Answer:", {"yes", "no", "the sun is red", "maybe"}, 0, "q0"},
      {"the cat sat on the", {"mat", "rug", "dog"}, 0, "q1"},
      {"Which one gates the flop? ", {"the clock", "the reset"}, 1, "q2"},  // trailing space moves
      {"a red cat, a blue dog, the sun and the moon. the cat and the dog sleep in the sun. Which is hot?",
       {"the sun", "the moon", "the cat", "the dog", "a blue dog"}, 2, "q3"},
      {"Ωμέγα ☃: pick", {"日本語", "x"}, 1, "q4"},
  };
}

}  // namespace

TEST_CASE("multiple choice: tokenization follows lm-eval's _encode_pair", "[eval][multiple_choice]") {
  const tokenizer::Tokenizer tok = eval_test::tiny_tokenizer();

  SECTION("a plain pair: the continuation's ids are the whole's past the context's") {
    const auto t = eval::tokenize_continuation(tok, "Answer:", " yes");
    CHECK(t.context == tok.encode("Answer:"));
    CHECK(cat(t.context, t.continuation) == tok.encode("Answer: yes"));
    CHECK(t.continuation == tok.encode(" yes"));
  }
  SECTION("trailing whitespace of the context moves to the continuation") {
    const auto t = eval::tokenize_continuation(tok, "Answer: \n", "yes");
    CHECK(t.context == tok.encode("Answer:"));
    const auto whole = tok.encode("Answer: \nyes");
    CHECK(t.continuation == std::vector<TokenId>(whole.begin() + static_cast<std::ptrdiff_t>(t.context.size()),
                                                 whole.end()));
  }
  SECTION("a BPE merge across the boundary: split the whole at the context's length") {
    const std::string ctx = "the cat sat on t", cont = "he mat";
    const auto c = tok.encode(ctx), whole = tok.encode(ctx + cont);
    // The precondition that makes this the merge case: the whole does not start with the context.
    REQUIRE(whole.size() > c.size());
    REQUIRE(std::vector<TokenId>(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(c.size())) != c);
    const auto t = eval::tokenize_continuation(tok, ctx, cont);
    CHECK(t.context == c);
    CHECK(t.continuation == std::vector<TokenId>(whole.begin() + static_cast<std::ptrdiff_t>(c.size()), whole.end()));
    CHECK(t.continuation != tok.encode(cont));
  }
  SECTION("a continuation that merges entirely into the context has no ids, and scoring refuses it") {
    const auto t = eval::tokenize_continuation(tok, "sun: the c", "at");
    REQUIRE(tok.encode("sun: the cat").size() == tok.encode("sun: the c").size());
    CHECK(t.continuation.empty());
    auto model = eval_test::tiny_model();
    eval::MultipleChoiceOptions o;
    o.delimiter = "";
    const std::vector<eval::Question> qs = {{"sun: the c", {"at", "og"}, 0, "merge.jsonl:1"}};
    REQUIRE_DAPT_ERROR(eval::evaluate_multiple_choice(*model, tok, qs, o), kInvalidArgument,
                       "question 0 (merge.jsonl:1), choice 0: the continuation has no tokens of its own");
  }
  SECTION("BOS goes before the context; an empty context is BOS alone") {
    const auto t = eval::tokenize_continuation(tok, "Answer:", " yes", TokenId{0});
    CHECK(t.context == cat({0}, tok.encode("Answer:")));
    CHECK(t.continuation == tok.encode(" yes"));
    const auto e = eval::tokenize_continuation(tok, "", "the cat", TokenId{0});
    CHECK(e.context == std::vector<TokenId>{0});
    CHECK(e.continuation == tok.encode("the cat"));
  }
  SECTION("a question: one context, a continuation per choice with the delimiter, byte counts") {
    const eval::Question q{"the cat sat on the", {"mat", "日本"}, 1, ""};
    const eval::TokenizedQuestion t = eval::tokenize_question(tok, q);
    CHECK(t.context == tok.encode("the cat sat on the"));
    REQUIRE(t.choices.size() == 2);
    CHECK(t.choices[0] == tok.encode(" mat"));
    CHECK(t.choice_bytes == std::vector<std::int64_t>{3, 6});
    CHECK(t.answer == 1);
  }
}

TEST_CASE("multiple choice: scores equal a brute-force log-softmax of forward() logits", "[eval][multiple_choice]") {
  auto model = eval_test::tiny_model();
  const tokenizer::Tokenizer tok = eval_test::tiny_tokenizer();
  REQUIRE(static_cast<std::int64_t>(tok.vocab_size()) <= model->config().vocab_size);
  const std::vector<eval::Question> qs = sample_questions();
  for (const std::int64_t max_length : {std::int64_t{0}, std::int64_t{12}}) {  // 12 truncates long contexts
    for (const std::optional<TokenId> bos : {std::optional<TokenId>{}, std::optional<TokenId>{0}}) {
      eval::MultipleChoiceOptions o;
      o.max_length = max_length;
      o.bos_id = bos;
      std::vector<eval::ChoiceScore> want;
      std::vector<std::int64_t> want_pred;
      for (const auto& q : qs) {
        const eval::TokenizedQuestion t = eval::tokenize_question(tok, q, o);
        std::vector<eval::ChoiceScore> scores;
        for (const auto& c : t.choices)
          scores.push_back(brute_force_choice(*model, t.context, c, max_length ? max_length : 128));
        want_pred.push_back(eval::pick(scores, eval::Normalization::kNone));
        want.insert(want.end(), scores.begin(), scores.end());
      }
      for (const std::int64_t batch : {1, 2, 5, 64}) {
        INFO("max_length " << max_length << ", bos " << (bos ? 1 : 0) << ", batch " << batch);
        o.batch_size = batch;
        const eval::MultipleChoiceResult r = eval::evaluate_multiple_choice(*model, tok, qs, o);
        REQUIRE(r.questions.size() == qs.size());
        std::size_t k = 0;
        std::int64_t correct = 0;
        for (std::size_t q = 0; q < qs.size(); ++q) {
          const eval::QuestionResult& qr = r.questions[q];
          REQUIRE(qr.choices.size() == qs[q].choices.size());
          for (std::size_t c = 0; c < qr.choices.size(); ++c, ++k) {
            INFO("question " << q << " choice " << c << ": " << qr.choices[c].logprob << " vs " << want[k].logprob);
            CHECK(std::abs(qr.choices[c].logprob - want[k].logprob) <= 1e-5 * std::max(1.0, std::abs(want[k].logprob)));
            CHECK(qr.choices[c].tokens == want[k].tokens);
            CHECK(qr.choices[c].greedy == want[k].greedy);
            CHECK(qr.choices[c].bytes == static_cast<std::int64_t>(qs[q].choices[c].size()));
          }
          CHECK(qr.prediction == want_pred[q]);
          CHECK(qr.answer == qs[q].answer);
          correct += qr.prediction == qr.answer;
        }
        CHECK(r.correct == correct);
        CHECK(r.accuracy == Approx(static_cast<double>(correct) / 5.0));
      }
    }
  }
}

TEST_CASE("multiple choice: a model rigged towards one choice picks it", "[eval][multiple_choice]") {
  auto model = eval_test::tiny_model();
  const tokenizer::Tokenizer tok = eval_test::tiny_tokenizer();
  const std::vector<eval::Question> qs = {{"the cat and the dog sleep in the", {"cat", "dog", "sun", "red"}, 2, ""}};
  const eval::TokenizedQuestion t = eval::tokenize_question(tok, qs[0]);
  for (const auto& c : t.choices) REQUIRE(c.size() == 1);  // " cat", " dog", " sun", " red" are single tokens
  for (std::size_t j = 0; j < 4; ++j) {
    INFO("boosted choice " << j);
    rig(*model, t.choices[j][0], 30.0f);
    for (const auto n : {eval::Normalization::kNone, eval::Normalization::kPerToken, eval::Normalization::kPerByte}) {
      eval::MultipleChoiceOptions o;
      o.normalization = n;
      const eval::MultipleChoiceResult r = eval::evaluate_multiple_choice(*model, tok, qs, o);
      const eval::QuestionResult& qr = r.questions[0];
      CHECK(qr.prediction == static_cast<std::int64_t>(j));
      CHECK(qr.prediction_norm == static_cast<std::int64_t>(j));
      CHECK(qr.choices[j].logprob > -1e-3);  // log(1 / (1 + 319 e^-30))
      CHECK(qr.choices[j].greedy);
      for (std::size_t c = 0; c < 4; ++c)
        if (c != j) {
          CHECK(qr.choices[c].logprob < -25.0);
          CHECK(!qr.choices[c].greedy);
        }
      CHECK(r.accuracy == (j == 2 ? 1.0 : 0.0));
    }
  }
}

TEST_CASE("multiple choice: normalisation changes the pick", "[eval][multiple_choice]") {
  auto model = eval_test::tiny_model();
  const double log_v = std::log(static_cast<double>(model->config().vocab_size));

  SECTION("uniform model, text: raw prefers fewer tokens, per byte fewer tokens per byte") {
    rig(*model, std::nullopt, 0.0f);  // every logit 0: each token costs exactly log(320)
    const tokenizer::Tokenizer tok = eval_test::tiny_tokenizer();
    const std::vector<eval::Question> qs = {{"say it:", {"zq", "the the the the"}, 1, ""}};
    const eval::TokenizedQuestion t = eval::tokenize_question(tok, qs[0]);
    const double k0 = static_cast<double>(t.choices[0].size()), k1 = static_cast<double>(t.choices[1].size());
    REQUIRE(k0 < k1);                  // raw: choice 0 costs less
    REQUIRE(k0 / 2.0 > k1 / 15.0);     // per byte: choice 1 costs less
    eval::MultipleChoiceOptions o;
    o.normalization = eval::Normalization::kPerByte;
    const eval::MultipleChoiceResult r = eval::evaluate_multiple_choice(*model, tok, qs, o);
    const eval::QuestionResult& qr = r.questions[0];
    CHECK(qr.choices[0].logprob == Approx(-k0 * log_v).epsilon(1e-9));
    CHECK(qr.choices[1].logprob == Approx(-k1 * log_v).epsilon(1e-9));
    CHECK(qr.prediction == 0);
    CHECK(qr.prediction_norm == 1);
    CHECK(r.accuracy == 0.0);
    CHECK(r.accuracy_norm == 1.0);
    // Per token both cost log(320) each: a tie, which goes to the first choice.
    o.normalization = eval::Normalization::kPerToken;
    CHECK(eval::evaluate_multiple_choice(*model, tok, qs, o).questions[0].prediction_norm == 0);
  }
  SECTION("boosted token, raw ids: raw prefers the short choice, per token the boosted one") {
    const TokenId x = 40, y = 41, z = 42;
    rig(*model, x, 5.0f);
    // lse = log(319 + e^5) = 6.15: raw [x, y] = 5 - 2 lse = -7.3 < [z] = -6.15; per token -3.65 > -6.15.
    const std::vector<eval::TokenizedQuestion> qs = {{{5, 6, 7}, {{x, y}, {z}}, {2, 1}, 0}};
    for (const auto n : {eval::Normalization::kPerToken, eval::Normalization::kPerByte}) {
      eval::MultipleChoiceOptions o;
      o.normalization = n;
      const eval::MultipleChoiceResult r = eval::evaluate_multiple_choice(*model, qs, o);
      const eval::QuestionResult& qr = r.questions[0];
      INFO("scores " << qr.choices[0].logprob << ", " << qr.choices[1].logprob);
      CHECK(qr.prediction == 1);
      CHECK(qr.prediction_norm == 0);
      CHECK(r.correct == 0);
      CHECK(r.correct_norm == 1);
      CHECK(r.normalization == n);
      const eval::ChoiceScore want = brute_force_choice(*model, {5, 6, 7}, {x, y}, 128);
      CHECK(qr.choices[0].logprob == Approx(want.logprob).epsilon(1e-6));
    }
  }
}

TEST_CASE("multiple choice: bad questions are refused with their name", "[eval][multiple_choice]") {
  auto model = eval_test::tiny_model();
  const tokenizer::Tokenizer tok = eval_test::tiny_tokenizer();
  const auto run = [&](std::vector<eval::TokenizedQuestion> qs, eval::MultipleChoiceOptions o = {}) {
    return eval::evaluate_multiple_choice(*model, qs, o);
  };
  REQUIRE_DAPT_ERROR(run({{{1, 2}, {{3}, {4}}, {1, 1}, 2}}), kInvalidArgument, "question 0: answer 2 is out of range");
  REQUIRE_DAPT_ERROR(run({{{1, 2}, {{3}}, {1}, 0}, {{1, 2}, {}, {}, 0}}), kInvalidArgument, "question 1 has no choices");
  REQUIRE_DAPT_ERROR(run({{{}, {{3}, {4}}, {1, 1}, 0}}), kInvalidArgument, "the context has no tokens");
  REQUIRE_DAPT_ERROR(run({{{1}, {{3}, {}}, {1, 1}, 0}}), kInvalidArgument, "choice 1: the continuation has no tokens");
  REQUIRE_DAPT_ERROR(run({{{1, 320}, {{3}, {4}}, {1, 1}, 0}}), kOutOfRange, "question 0, context: token id 320");
  REQUIRE_DAPT_ERROR(run({{{1}, {{3}, {4, -1}}, {1, 1}, 0}}), kOutOfRange, "choice 1: token id -1 at position 1");
  REQUIRE_DAPT_ERROR(run({{{1}, {{3}, {4}}, {}, 0}}), kInvalidArgument, "choice 0 has no byte count");
  REQUIRE_DAPT_ERROR(run({{{1}, {{3}, {4}}, {1}, 0}}), kInvalidArgument, "2 choices but 1 byte counts");
  eval::MultipleChoiceOptions o;
  o.normalization = eval::Normalization::kPerToken;
  CHECK(run({{{1}, {{3}, {4}}, {}, 0}}, o).questions.size() == 1);  // bytes are only needed per byte
  o.max_length = 2;
  REQUIRE_DAPT_ERROR(run({{{1}, {{3}, {4, 5, 6}}, {1, 1}, 0}}, o), kInvalidArgument, "3 tokens, longer than max_length 2");
  o.batch_size = 0;
  REQUIRE_DAPT_ERROR(run({{{1}, {{3}, {4}}, {1, 1}, 0}}, o), kInvalidArgument, "batch_size");
  CHECK(run({}).questions.empty());
  CHECK(run({}).accuracy == 0.0);

  const std::vector<eval::Question> bad_text = {{"fine", {"a"}, 0, ""}, {"caf\xe9", {"a", "b"}, 0, "x.jsonl:9"}};
  REQUIRE_DAPT_ERROR(eval::evaluate_multiple_choice(*model, tok, bad_text), kInvalidArgument,
                     "question 1 (x.jsonl:9): text is not valid UTF-8");
  const std::vector<eval::Question> empty_ctx = {{"", {"the cat", "the dog"}, 0, ""}};
  REQUIRE_DAPT_ERROR(eval::evaluate_multiple_choice(*model, tok, empty_ctx), kInvalidArgument, "needs bos_id");
  eval::MultipleChoiceOptions with_bos;
  with_bos.bos_id = 0;
  CHECK(eval::evaluate_multiple_choice(*model, tok, empty_ctx, with_bos).questions[0].choices[0].tokens == 2);

  model->visit_parameters([](const std::string& name, nn::Param<Cpu>& p) {
    if (name == "lm_head.weight") p.value().data<float>()[0] = std::nanf("");
  });
  REQUIRE_DAPT_ERROR(run({{{1}, {{3}, {4}}, {1, 1}, 0}}), kNumeric, "NaN or Inf");
}

TEST_CASE("multiple choice: the JSONL loader reads questions", "[eval][multiple_choice][jsonl]") {
  dapt_test::TempDir dir("eval_mc_jsonl");
  const fs::path p = dir.path / "q.jsonl";
  dapt_test::write_file(p,
             "\xEF\xBB\xBF{\"question\": \"2+2=?\", \"choices\": [\"3\", \"4\"], \"answer\": 1, \"id\": \"x\"}\r\n"
             "\n"
             "   \t\n"
             "{\"context\": \"Ωμέγα ☃\", \"choices\": [\"a\", \"b\", \"日本語\"], \"answer\": \"C\"}\n"
             "{\"question\": \"\", \"choices\": [\"only\"], \"answer\": 0.0}\n"
             "{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": \"a\"}");  // no final newline
  const std::vector<eval::Question> qs = eval::load_questions(p);
  REQUIRE(qs.size() == 4);
  CHECK(qs[0].context == "2+2=?");
  CHECK(qs[0].choices == std::vector<std::string>{"3", "4"});
  CHECK(qs[0].answer == 1);
  CHECK(qs[0].source == p.string() + ":1");
  CHECK(qs[1].context == "Ωμέγα ☃");
  CHECK(qs[1].answer == 2);
  CHECK(qs[1].source == p.string() + ":4");
  CHECK(qs[2].context.empty());
  CHECK(qs[2].answer == 0);
  CHECK(qs[3].answer == 0);
  CHECK(qs[3].source == p.string() + ":6");

  dapt_test::write_file(dir.path / "empty.jsonl", "");
  CHECK(eval::load_questions(dir.path / "empty.jsonl").empty());
  REQUIRE_DAPT_ERROR(eval::load_questions(dir.path / "missing.jsonl"), kIo, "missing.jsonl");
  REQUIRE_DAPT_ERROR(eval::load_questions(dir.path), kIo, "eval_mc_jsonl");
}

TEST_CASE("multiple choice: every malformed JSONL line is a kFormat error naming file:line", "[eval][multiple_choice][jsonl]") {
  dapt_test::TempDir dir("eval_mc_hostile");
  const fs::path p = dir.path / "bad.jsonl";
  const std::string good = "{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 0}\n";
  struct Case {
    std::string line, needle;
  };
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "[";
  const std::vector<Case> cases = {
      {"not json", "invalid JSON"},
      {"{\"question\": \"q\", \"choices\": [\"a\"], \"answer\": 0", "invalid JSON"},
      {"[\"q\", [\"a\"], 0]", "the line must be a JSON object, found an array"},
      {"{\"choices\": [\"a\", \"b\"], \"answer\": 0}", "\"question\" (or \"context\") is missing"},
      {"{\"question\": \"q\", \"context\": \"c\", \"choices\": [\"a\"], \"answer\": 0}", "both \"question\" and \"context\""},
      {"{\"question\": 5, \"choices\": [\"a\"], \"answer\": 0}", "field \"question\" must be a string"},
      {"{\"context\": [\"q\"], \"choices\": [\"a\"], \"answer\": 0}", "field \"context\" must be a string"},
      {"{\"question\": \"q\", \"answer\": 0}", "\"choices\" is missing"},
      {"{\"question\": \"q\", \"choices\": \"ab\", \"answer\": 0}", "field \"choices\" must be an array"},
      {"{\"question\": \"q\", \"choices\": [], \"answer\": 0}", "\"choices\" is empty"},
      {"{\"question\": \"q\", \"choices\": [\"a\", 3], \"answer\": 0}", "choice 1 must be a string, found an integer"},
      {"{\"question\": \"q\", \"choices\": [\"a\", null], \"answer\": 0}", "choice 1 must be a string, found null"},
      {"{\"question\": \"q\", \"choices\": [\"a\", \"\"], \"answer\": 0}", "choice 1 is an empty string"},
      {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"]}", "\"answer\" is missing"},
      {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": null}", "\"answer\" is missing"},
      {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 2}", "answer 2 is out of range for 2 choices"},
      {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": -1}", "answer -1 is out of range"},
      {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": \"C\"}", "answer \"C\" (choice 2) is out of range"},
      {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": \"AB\"}", "0-based index or a letter A-Z"},
      {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": \"1\"}", "0-based index or a letter A-Z"},
      {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": \"\"}", "0-based index or a letter A-Z"},
      {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": true}", "field \"answer\" must be an integer"},
      {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 0.5}", "field \"answer\" must be an integer"},
      {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 99999999999999999999}", "answer"},
      {"{\"question\": \"caf\xe9\", \"choices\": [\"a\"], \"answer\": 0}", "invalid UTF-8"},
      {"{\"question\": \"q\", \"choices\": [\"\xff\xfe\"], \"answer\": 0}", "invalid UTF-8"},
      {"{\"question\": \"\\ud800\", \"choices\": [\"a\"], \"answer\": 0}", "invalid JSON"},
      {"{\"question\": \"q\", \"choices\": [\"a\"], \"answer\": 0, \"answer\": 1}", "duplicate JSON key \"answer\""},
      {"{\"question\": \"q\", \"choices\": [\"a\"], \"answer\": 1e400}", "out of the range of a double"},
      {deep, "nested deeper than"},
      {std::string("{\"question\": \"q\0\", \"choices\": [\"a\"], \"answer\": 0}", 50), "invalid JSON"},
      {"{\"question\": \"q\", \"choices\": [\"a\"], \"answer\": 0} trailing", "invalid JSON"},
      {"\"just a string\"", "must be a JSON object, found a string"},
  };
  for (const Case& c : cases) {
    INFO("line: " << c.line);
    dapt_test::write_file(p, good + "\n" + c.line + "\n" + good);
    REQUIRE_DAPT_ERROR(eval::load_questions(p), kFormat, p.string() + ":3: ");
    REQUIRE_DAPT_ERROR(eval::load_questions(p), kFormat, c.needle);
  }

  SECTION("a line longer than the limit is refused before it is parsed") {
    dapt_test::write_file(p, good + "{\"question\": \"" + std::string(300, 'x') + "\", \"choices\": [\"a\"], \"answer\": 0}\n");
    REQUIRE_DAPT_ERROR(eval::load_questions(p, 256), kFormat, p.string() + ":2: line longer than 256 bytes");
    CHECK(eval::load_questions(p, 1024).size() == 2);
    dapt_test::write_file(p, std::string(200'000, 'x'));  // one huge line, no newline: stops reading early
    REQUIRE_DAPT_ERROR(eval::load_questions(p, 1000), kFormat, ":1: line longer than 1000 bytes");
  }
}

namespace {  // (not in the document: keeps report() local to this test file)
// --- begin docs/eval.md example ---
// Held-out perplexity and multiple-choice accuracy of a (domain-adapted) model: the two numbers
// ChipNeMo reports beside its task benchmarks.
void report(dapt::nn::Llama<dapt::Cpu>& model, const dapt::tokenizer::Tokenizer& tok,
            const std::vector<std::filesystem::path>& held_out, const std::filesystem::path& questions_jsonl) {
  dapt::eval::PerplexityOptions po;
  po.context = 1024;   // tokens per window
  po.stride = 256;     // each scored token sees at least 768 tokens of context
  po.batch_size = 4;   // windows per forward_loss call
  po.prefix_id = 1;    // LLaMA's <s> before each file: its first token is scored too
  const dapt::eval::PerplexityResult ppl = dapt::eval::perplexity_files(model, tok, held_out, po);
  std::printf("perplexity %.3f (%lld tokens), %.4f bits/byte\n", ppl.perplexity, static_cast<long long>(ppl.tokens),
              ppl.bits_per_byte.value_or(0.0));

  const std::vector<dapt::eval::Question> questions = dapt::eval::load_questions(questions_jsonl);
  dapt::eval::MultipleChoiceOptions mo;
  mo.bos_id = 1;
  mo.normalization = dapt::eval::Normalization::kPerByte;
  const dapt::eval::MultipleChoiceResult mc = dapt::eval::evaluate_multiple_choice(model, tok, questions, mo);
  std::printf("acc %.3f, acc_norm %.3f over %zu questions\n", mc.accuracy, mc.accuracy_norm, mc.questions.size());
  for (const dapt::eval::QuestionResult& q : mc.questions)
    if (!q.correct_norm())
      std::printf("  missed %s: picked %lld, answer %lld\n", questions[&q - mc.questions.data()].source.c_str(),
                  static_cast<long long>(q.prediction_norm), static_cast<long long>(q.answer));
}
// --- end docs/eval.md example ---
}  // namespace

TEST_CASE("docs/eval.md: the evaluation example runs", "[eval][docs]") {
  auto model = eval_test::tiny_model();
  const tokenizer::Tokenizer tok = eval_test::tiny_tokenizer();
  dapt_test::TempDir dir("eval_docs");
  dapt_test::write_file(dir.path / "a.txt", "the cat sat on the mat.\nthe clock gates the flop.\n");
  dapt_test::write_file(dir.path / "b.txt", "is the sun red? the dog says no.");
  dapt_test::write_file(dir.path / "q.jsonl",
             "{\"question\": \"the cat sat on the\", \"choices\": [\"mat\", \"sun\"], \"answer\": 0}\n"
             "{\"context\": \"Which one gates the flop?\", \"choices\": [\"the clock\", \"the dog\"], \"answer\": \"A\"}\n");
  report(*model, tok, {dir.path / "a.txt", dir.path / "b.txt"}, dir.path / "q.jsonl");
}
