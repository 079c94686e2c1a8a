// retrieval::Rag: the budget is met exactly with a counting function, passages stay in rank
// order (a prefix of the ranking), the text is what render_chat renders for every ChatFormat,
// truncation of the last passage at word and character boundaries, and edge cases.
#include "dapt/retrieval/rag.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "dapt_catch.hpp"

using namespace dapt;
using namespace dapt::retrieval;
using tokenizer::ChatFormat;
using tokenizer::ChatMessage;

namespace {

/// One token per byte: makes every budget exact and easy to compute.
std::int64_t bytes(std::string_view s) { return static_cast<std::int64_t>(s.size()); }

std::vector<Passage> passages() {
  return {{11, "The clk_en signal gates the core clock during idle cycles.", "clocks.md"},
          {22, "Reset is asynchronous and active low.", ""},
          {33, "The FIFO raises full when its write pointer wraps onto the read pointer.", "fifo.md"},
          {44, "x", ""}};
}

/// The user message Rag writes for the first `n` passages, spelled out.
std::string expected_user(const std::vector<Passage>& p, std::size_t n, const std::string& question) {
  if (n == 0) return "Question: " + question;
  std::string u = "Context:\n\n";
  for (std::size_t i = 0; i < n; ++i) {
    u += "[" + std::to_string(i + 1) + "] ";
    if (!p[i].title.empty()) u += p[i].title + "\n";
    u += p[i].text + "\n\n";
  }
  return u + "Question: " + question;
}

std::string expected_prompt(const RagOptions& o, const std::string& user) {
  std::vector<ChatMessage> m;
  if (!o.system_prompt.empty()) m.push_back({"system", o.system_prompt});
  m.push_back({"user", user});
  return tokenizer::render_chat(o.format, m, o.render).text;
}

/// A stand-in tokenizer: one id per whitespace-separated word.
struct WordTokenizer {
  std::vector<int> encode(std::string_view s) const {
    std::vector<int> out;
    bool in_word = false;
    for (char c : s) {
      const bool space = c == ' ' || c == '\n';
      if (!space && !in_word) out.push_back(static_cast<int>(out.size()));
      in_word = !space;
    }
    return out;
  }
};

}  // namespace

TEST_CASE("Rag: the budget is met exactly and passages stay in rank order", "[retrieval][rag]") {
  const auto p = passages();
  const std::string q = "What gates the clock?";
  RagOptions o;
  for (std::size_t n = 0; n <= p.size(); ++n) {
    o.token_budget = bytes(expected_prompt(o, expected_user(p, n, q)));
    INFO("budget for " << n << " passages: " << o.token_budget);
    const RagPrompt r = Rag(bytes, o).build(q, p);
    CHECK(r.text == expected_prompt(o, expected_user(p, n, q)));
    CHECK(r.tokens == o.token_budget);  // exactly at the budget
    const std::vector<std::int64_t> all{11, 22, 33, 44};
    CHECK(r.passage_ids == std::vector<std::int64_t>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n)));
    CHECK_FALSE(r.last_truncated);
    REQUIRE(r.messages.size() == 2);
    CHECK(r.messages[1].content == expected_user(p, n, q));
    if (n > 0) {
      // One token less and the last passage no longer fits.
      o.token_budget -= 1;
      CHECK(Rag(bytes, o).build(q, p).passage_ids.size() == n - 1);
    }
  }
  SECTION("a lower-ranked passage that would fit is not used past one that does not") {
    // Passage 3 is long, passage 4 short: with room for 1, 2 and 4 but not 3, only 1 and 2 come.
    o.token_budget = bytes(expected_prompt(o, expected_user(p, 2, q))) + 20;
    const RagPrompt r = Rag(bytes, o).build(q, p);
    CHECK(r.passage_ids == std::vector<std::int64_t>{11, 22});
  }
}

TEST_CASE("Rag: rendered as render_chat renders each format", "[retrieval][rag]") {
  const auto p = passages();
  const std::string q = "Is reset synchronous?";
  for (ChatFormat f : {ChatFormat::kChipNeMo, ChatFormat::kLlama2, ChatFormat::kLlama3, ChatFormat::kChatMl}) {
    INFO(tokenizer::chat_format_name(f));
    RagOptions o;
    o.format = f;
    o.token_budget = 100000;
    const RagPrompt r = Rag(bytes, o).build(q, p);
    CHECK(r.passage_ids.size() == 4);
    CHECK(r.text == expected_prompt(o, expected_user(p, 4, q)));
    // Generation prompts by default: the text ends where the assistant's reply starts.
    if (f == ChatFormat::kChipNeMo) CHECK(r.text.ends_with("<extra_id_1>Assistant\n"));
    if (f == ChatFormat::kLlama2) CHECK(r.text.ends_with(" [/INST]"));
    if (f == ChatFormat::kLlama3) CHECK(r.text.ends_with("<|start_header_id|>assistant<|end_header_id|>\n\n"));
    if (f == ChatFormat::kChatMl) CHECK(r.text.ends_with("<|im_start|>assistant\n"));
    // Without a system prompt there is no system message.
    o.system_prompt.clear();
    const RagPrompt bare = Rag(bytes, o).build(q, p);
    CHECK(bare.messages.size() == 1);
    CHECK(bare.text == expected_prompt(o, expected_user(p, 4, q)));
  }
  // A custom layout.
  RagOptions o;
  o.context_intro = "Documents:";
  o.question_intro = "Q: ";
  o.token_budget = 100000;
  const std::vector<Passage> one = {{5, "text", ""}};
  CHECK(Rag(bytes, o).user_message("why?", one) == "Documents:\n\n[1] text\n\nQ: why?");
}

TEST_CASE("Rag: truncating the last passage", "[retrieval][rag]") {
  const auto p = passages();
  const std::string q = "How does the FIFO signal full?";
  RagOptions o;
  o.truncate_last = true;
  o.min_truncated_chars = 8;
  // Room for passages 1 and 2 and 40 more bytes: passage 3 is cut at a word boundary.
  o.token_budget = bytes(expected_prompt(o, expected_user(p, 2, q))) + 40;
  const RagPrompt r = Rag(bytes, o).build(q, p);
  CHECK(r.passage_ids == std::vector<std::int64_t>{11, 22, 33});
  CHECK(r.last_truncated);
  CHECK(r.tokens <= o.token_budget);
  CHECK(r.tokens == bytes(r.text));
  const std::string& full = p[2].text;
  const std::string user = r.messages.back().content;
  const auto at = user.find("[3] fifo.md\n") + 12;
  const std::string kept = user.substr(at, user.find(" ...\n\n", at) - at);
  CHECK(full.starts_with(kept));
  CHECK(full[kept.size()] == ' ');  // cut before a space: whole words
  // The longest such cut: the next word would not fit.
  const auto next_space = full.find(' ', kept.size() + 1);
  std::vector<Passage> longer = {p[0], p[1], p[2]};
  longer[2].text = full.substr(0, next_space) + " ...";
  CHECK(bytes(expected_prompt(o, expected_user(longer, 3, q))) > o.token_budget);

  SECTION("without truncate_last the passage is dropped") {
    o.truncate_last = false;
    CHECK(Rag(bytes, o).build(q, p).passage_ids == std::vector<std::int64_t>{11, 22});
  }
  SECTION("too little room for min_truncated_chars drops it") {
    o.min_truncated_chars = 60;
    const RagPrompt d = Rag(bytes, o).build(q, p);
    CHECK(d.passage_ids == std::vector<std::int64_t>{11, 22});
    CHECK_FALSE(d.last_truncated);
  }
  SECTION("one unbroken multi-byte token is cut between characters") {
    std::vector<Passage> cjk = {{1, std::string(), ""}};
    for (int i = 0; i < 40; ++i) cjk[0].text += "日本";
    o.truncation_marker = "";
    o.token_budget = bytes(expected_prompt(o, expected_user(std::vector<Passage>{{1, "", ""}}, 1, q))) + 31;
    const RagPrompt c = Rag(bytes, o).build(q, cjk);
    REQUIRE(c.last_truncated);
    CHECK(is_valid_utf8(c.text));
    CHECK(c.tokens == o.token_budget - 1);  // 10 characters of 3 bytes: 30 of the 31 bytes
  }
}

TEST_CASE("Rag: a tokenizer counter, and refused input", "[retrieval][rag]") {
  const WordTokenizer tok;
  const TokenCounter count = token_counter(tok);
  CHECK(count("two words") == 2);
  const auto p = passages();
  RagOptions o;
  o.format = ChatFormat::kLlama3;
  o.token_budget = 60;
  const RagPrompt r = Rag(count, o).build("What gates the clock?", p);
  CHECK(r.tokens == count(r.text));
  CHECK(r.tokens <= 60);
  CHECK(!r.passage_ids.empty());
  CHECK(r.passage_ids.size() < p.size());

  // No passages at all: just the question.
  o.token_budget = 1000;
  const RagPrompt none = Rag(bytes, o).build("Why?", {});
  CHECK(none.passage_ids.empty());
  CHECK(none.messages.back().content == "Question: Why?");

  o.token_budget = 10;
  try {
    (void)Rag(bytes, o).build("Why?", p);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::kInvalidArgument);
    CHECK(dapt_test::contains(e.what(), "token budget is 10"));
    CHECK(dapt_test::contains(e.what(), "needs " + std::to_string(bytes(expected_prompt(o, "Question: Why?")))));
  }
  o.token_budget = 1000;
  const std::vector<Passage> bad = {{77, "ok \xC0\xAF", ""}};
  REQUIRE_DAPT_ERROR(Rag(bytes, o).build("q", bad), kInvalidArgument, "passage 77");
  REQUIRE_DAPT_ERROR(Rag(bytes, o).build("\xFF", p), kInvalidArgument, "the question");
  REQUIRE_DAPT_ERROR(Rag([](std::string_view) { return std::int64_t{-1}; }, o).build("q", p), kInvalidArgument,
                     "returned -1");
  REQUIRE_DAPT_ERROR(Rag(TokenCounter{}), kInvalidArgument, "counter is empty");
  o.token_budget = 0;
  REQUIRE_DAPT_ERROR(Rag(bytes, o), kInvalidArgument, "token_budget");
}
