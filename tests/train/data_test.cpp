// Tests of train/data.hpp: DAPT packing (exact rows, segment ids, boundary labels), the
// document-level split, deterministic shuffling, resuming from a DataState, weighted mixing,
// source reading errors, and SFT assistant-only labels, truncation and skip counting.
#include "dapt/train/data.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dapt/tokenizer/hf_json.hpp"
#include "dapt_catch.hpp"
#include "test_util.hpp"

namespace {

using namespace dapt;
using dapt::train::DataState;
using dapt::train::PackedDataset;
using dapt::train::PackOptions;
using dapt::train::SftDataset;
using dapt::train::SftOptions;
using dapt::train::Split;
using dapt::train::TextSource;
using tokenizer::ChatMessage;
using tokenizer::TokenId;

constexpr TokenId kEos = 0;  // <|endoftext|> of bytelevel_bpe

const tokenizer::Tokenizer& base_tokenizer() {
  static const tokenizer::Tokenizer tok =
      tokenizer::load_hf_tokenizer(DAPT_TEST_DATA_DIR "/tokenizers/bytelevel_bpe.tokenizer.json").tokenizer;
  return tok;
}

// bytelevel_bpe plus the chat markers of ChatML and ChipNeMo as special added tokens.
const tokenizer::Tokenizer& chat_tokenizer() {
  static const tokenizer::Tokenizer tok = [] {
    tokenizer::TokenizerParts parts = base_tokenizer().parts();
    auto next = static_cast<TokenId>(base_tokenizer().vocab_size());
    for (const char* s : {"<|im_start|>", "<|im_end|>", "<extra_id_0>", "<extra_id_1>"}) {
      tokenizer::AddedToken t;
      t.id = next++;
      t.content = s;
      t.special = true;
      t.normalized = false;
      parts.added_tokens.push_back(t);
    }
    return tokenizer::Tokenizer(std::move(parts));
  }();
  return tok;
}

std::vector<std::string> make_docs(int n, int salt = 0) {
  std::vector<std::string> docs;
  for (int i = 0; i < n; ++i) {
    std::string d = "Document " + std::to_string(i + salt) + ": the clock tree";
    for (int k = 0; k < (i * 7 + salt) % 5; ++k) d += " feeds flop " + std::to_string(k);
    d += ".";
    docs.push_back(d);
  }
  return docs;
}

struct BatchBuffers {
  std::int64_t b, t;
  std::vector<std::int32_t> ids, labels, segs;
  BatchBuffers(std::int64_t b_, std::int64_t t_)
      : b(b_), t(t_), ids(static_cast<std::size_t>(b_ * t_)), labels(ids.size()), segs(ids.size()) {}
  TensorView<Cpu> view(std::vector<std::int32_t>& v) { return TensorView<Cpu>(v.data(), DType::kI32, {b, t}); }
  TensorView<Cpu> ids_v() { return view(ids); }
  TensorView<Cpu> labels_v() { return view(labels); }
  TensorView<Cpu> segs_v() { return view(segs); }
};

std::vector<std::int32_t> take(PackedDataset& ds, std::int64_t b) {
  BatchBuffers x(b, ds.seq_len());
  ds.next_batch(x.ids_v(), x.labels_v(), x.segs_v());
  return x.ids;
}

}  // namespace

TEST_CASE("PackedDataset: rows are the documents joined with EOS, with segment ids and boundary labels",
          "[train][data]") {
  const auto docs = make_docs(23);
  const auto& tok = base_tokenizer();
  std::vector<std::int32_t> stream;
  std::vector<std::int64_t> starts;
  for (const auto& d : docs) {
    starts.push_back(static_cast<std::int64_t>(stream.size()));
    const auto ids = tok.encode(d);
    stream.insert(stream.end(), ids.begin(), ids.end());
    stream.push_back(kEos);
  }
  for (bool mask : {false, true}) {
    PackOptions o;
    o.seq_len = 16;
    o.eos_id = kEos;
    o.shuffle = false;
    o.mask_boundary = mask;
    PackedDataset ds(tok, {TextSource::from_texts("domain", docs)}, o);
    const std::int64_t rows = static_cast<std::int64_t>(stream.size()) / 16;
    REQUIRE(ds.rows() == rows);
    REQUIRE(ds.epoch_rows() == rows);
    CHECK(ds.tokens() == static_cast<std::int64_t>(stream.size()));
    CHECK(ds.source_stats()[0].dropped_tokens == static_cast<std::int64_t>(stream.size()) % 16);
    CHECK(ds.source_stats()[0].train_documents == 23);
    BatchBuffers x(rows, 16);
    ds.next_batch(x.ids_v(), x.labels_v(), x.segs_v());
    CHECK(x.ids == std::vector<std::int32_t>(stream.begin(), stream.begin() + rows * 16));
    for (std::int64_t r = 0; r < rows; ++r) {
      std::int32_t seg = 0;
      for (std::int64_t j = 0; j < 16; ++j) {
        const std::int64_t pos = r * 16 + j;
        const bool doc_start = std::find(starts.begin(), starts.end(), pos) != starts.end();
        if (j > 0 && doc_start) ++seg;
        INFO("row " << r << " col " << j);
        CHECK(x.segs[static_cast<std::size_t>(pos)] == seg);
        const std::int32_t want = (mask && j > 0 && doc_start) ? train::kIgnoreLabel : stream[static_cast<std::size_t>(pos)];
        CHECK(x.labels[static_cast<std::size_t>(pos)] == want);
      }
    }
  }
}

TEST_CASE("PackedDataset: BOS option and a padded last row", "[train][data]") {
  const auto docs = make_docs(5);
  PackOptions o;
  o.seq_len = 32;
  o.eos_id = kEos;
  o.bos_id = 7;
  o.pad_id = 3;
  o.shuffle = false;
  o.last_row = train::LastRow::kPad;
  PackedDataset ds(base_tokenizer(), {TextSource::from_texts("d", docs)}, o);
  std::vector<std::int32_t> stream;
  for (const auto& d : docs) {
    stream.push_back(7);
    const auto ids = base_tokenizer().encode(d);
    stream.insert(stream.end(), ids.begin(), ids.end());
    stream.push_back(kEos);
  }
  const auto n = static_cast<std::int64_t>(stream.size());
  REQUIRE(n % 32 != 0);
  REQUIRE(ds.rows() == n / 32 + 1);
  CHECK(ds.source_stats()[0].dropped_tokens == 0);
  BatchBuffers x(ds.rows(), 32);
  ds.next_batch(x.ids_v(), x.labels_v(), x.segs_v());
  for (std::int64_t i = 0; i < ds.rows() * 32; ++i) {
    const auto k = static_cast<std::size_t>(i);
    if (i < n) {
      CHECK(x.ids[k] == stream[k]);
      CHECK(x.labels[k] == stream[k]);
    } else {
      CHECK(x.ids[k] == 3);
      CHECK(x.labels[k] == train::kIgnoreLabel);
      CHECK(x.segs[k] == x.segs[static_cast<std::size_t>(n - 1)] + 1);  // padding is a segment of its own
    }
  }
}

TEST_CASE("PackedDataset: the train/validation split is reproducible and disjoint by document", "[train][data]") {
  auto docs = make_docs(200);
  docs.push_back(docs[10]);  // a duplicate must land on the same side as its original
  const auto doc_sets = [&](std::uint64_t seed) {
    PackOptions o;
    o.seq_len = 8;
    o.eos_id = kEos;
    o.shuffle = false;
    o.last_row = train::LastRow::kPad;
    o.validation_fraction = 0.25;
    o.split_seed = seed;
    PackedDataset ds(base_tokenizer(), {TextSource::from_texts("d", docs)}, o);
    std::array<std::multiset<std::vector<std::int32_t>>, 2> out;
    for (int s = 0; s < 2; ++s) {
      const Split split = s == 0 ? Split::kTrain : Split::kValidation;
      std::vector<std::int32_t> ids(8), labels(8), all;
      for (std::int64_t r = 0; r < ds.rows(split); ++r) {
        ds.fill_row(split, r, ids.data(), labels.data(), nullptr);
        for (int j = 0; j < 8; ++j)
          if (labels[j] != train::kIgnoreLabel) all.push_back(ids[j]);
      }
      std::vector<std::int32_t> cur;
      for (std::int32_t id : all) {
        if (id == kEos) {
          out[s].insert(cur);
          cur.clear();
        } else {
          cur.push_back(id);
        }
      }
      CHECK(cur.empty());
      CHECK(static_cast<std::int64_t>(out[s].size()) ==
            (s == 0 ? ds.source_stats()[0].train_documents : ds.source_stats()[0].validation_documents));
    }
    return out;
  };
  const auto a = doc_sets(11), b = doc_sets(11), c = doc_sets(12);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a[0].size() + a[1].size() == docs.size());
  CHECK(a[1].size() > 25);
  CHECK(a[1].size() < 80);
  std::multiset<std::vector<std::int32_t>> all;
  for (const auto& d : docs) all.insert(base_tokenizer().encode(d));
  std::multiset<std::vector<std::int32_t>> joined = a[0];
  joined.insert(a[1].begin(), a[1].end());
  CHECK(joined == all);
  for (const auto& d : a[1]) CHECK(a[0].count(d) == 0);  // disjoint, duplicates included
}

TEST_CASE("PackedDataset: shuffling is deterministic by seed and differs across seeds and epochs", "[train][data]") {
  const auto docs = make_docs(120);
  const auto make = [&](std::uint64_t seed) {
    PackOptions o;
    o.seq_len = 8;
    o.eos_id = kEos;
    o.shuffle_seed = seed;
    return PackedDataset(base_tokenizer(), {TextSource::from_texts("d", docs)}, o);
  };
  PackedDataset a = make(1), b = make(1), c = make(2);
  const std::int64_t n = a.epoch_rows();
  REQUIRE(n > 20);
  CHECK(take(a, n) == take(b, n));
  PackedDataset a2 = make(1);
  CHECK(take(a2, 8) != take(c, 8));
  std::vector<std::int64_t> e0, e1;
  for (std::int64_t i = 0; i < n; ++i) e0.push_back(a.epoch_row(0, i));
  for (std::int64_t i = 0; i < n; ++i) e1.push_back(a.epoch_row(1, i));
  CHECK(e0 != e1);
  std::sort(e0.begin(), e0.end());
  std::sort(e1.begin(), e1.end());
  for (std::int64_t i = 0; i < n; ++i) CHECK(e0[static_cast<std::size_t>(i)] == i);  // each epoch a permutation
  CHECK(e0 == e1);
}

TEST_CASE("PackedDataset: resuming from state() gives the same next batches", "[train][data]") {
  const auto docs = make_docs(40);
  PackOptions o;
  o.seq_len = 8;
  o.eos_id = kEos;
  o.shuffle_seed = 5;
  o.mask_boundary = true;
  PackedDataset a(base_tokenizer(), {TextSource::from_texts("d", docs)}, o);
  const std::int64_t n = a.epoch_rows();
  REQUIRE(n > 6);
  for (int i = 0; i < 3; ++i) take(a, 3);
  const DataState s = a.state();
  const auto s_json = boost::json::serialize(train::data_state_to_json(s));
  std::vector<std::vector<std::int32_t>> want;
  for (std::int64_t i = 0; i < n; ++i) {  // runs past the end of the epoch
    BatchBuffers x(3, 8);
    a.next_batch(x.ids_v(), x.labels_v(), x.segs_v());
    want.push_back(x.ids);
    want.push_back(x.labels);
    want.push_back(x.segs);
  }
  CHECK(a.epoch() >= 1);
  PackedDataset b(base_tokenizer(), {TextSource::from_texts("d", docs)}, o);
  const DataState r = train::data_state_from_json(boost::json::parse(s_json));
  CHECK(r == s);
  b.set_state(r);
  for (std::int64_t i = 0; i < n; ++i) {
    BatchBuffers x(3, 8);
    b.next_batch(x.ids_v(), x.labels_v(), x.segs_v());
    CHECK(x.ids == want[static_cast<std::size_t>(3 * i)]);
    CHECK(x.labels == want[static_cast<std::size_t>(3 * i + 1)]);
    CHECK(x.segs == want[static_cast<std::size_t>(3 * i + 2)]);
  }
  CHECK(b.state() == a.state());
  DataState wrong = s;
  wrong.seed = 6;
  REQUIRE_DAPT_ERROR(b.set_state(wrong), kInvalidArgument, "shuffle seed");
  PackedDataset other(base_tokenizer(), {TextSource::from_texts("d", make_docs(41))}, o);
  REQUIRE_DAPT_ERROR(other.set_state(s), kInvalidArgument, "different data");
  REQUIRE_DAPT_ERROR(train::data_state_from_json(boost::json::parse(R"({"epoch":1,"index":2,"seed":3})")), kFormat,
                     "fingerprint");
}

TEST_CASE("PackedDataset: weighted mixing matches the token shares over an epoch", "[train][data]") {
  const auto domain = make_docs(300, 0);
  const auto pub = make_docs(60, 1000);
  for (bool shuffle : {true, false}) {
    PackOptions o;
    o.seq_len = 8;
    o.eos_id = kEos;
    o.shuffle = shuffle;
    o.shuffle_seed = 3;
    PackedDataset ds(base_tokenizer(),
                     {TextSource::from_texts("domain", domain, 0.91), TextSource::from_texts("public", pub, 0.09)}, o);
    const auto& st = ds.source_stats();
    const std::int64_t n = ds.epoch_rows();
    REQUIRE(n == st[0].train_rows + st[1].train_rows);
    CHECK(st[0].epoch_rows + st[1].epoch_rows == n);
    CHECK(std::abs(static_cast<double>(st[1].epoch_rows) - 0.09 * static_cast<double>(n)) <= 1.0);
    CHECK(st[1].share == Approx(0.09).margin(1.0 / static_cast<double>(n)));
    // Count sources over the epoch, and over its first half (interleaving).
    std::int64_t pub_all = 0, pub_half = 0;
    std::set<std::int64_t> distinct;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t row = ds.epoch_row(0, i);
      distinct.insert(row);
      const bool is_pub = ds.row_source(Split::kTrain, row) == 1;
      pub_all += is_pub;
      if (i < n / 2) pub_half += is_pub;
    }
    CHECK(pub_all == st[1].epoch_rows);
    INFO("shuffle " << shuffle << " public rows in the first half: " << pub_half);
    CHECK(std::abs(static_cast<double>(pub_half) / static_cast<double>(n / 2) - 0.09) < 0.04);
    // A downsampled source gives distinct rows; an upsampled one all of its rows.
    CHECK(static_cast<std::int64_t>(distinct.size()) == std::min(st[0].epoch_rows, st[0].train_rows) +
                                                            std::min(st[1].epoch_rows, st[1].train_rows));
  }
  // Upsampling: the small source at half the tokens repeats its rows evenly.
  PackOptions o;
  o.seq_len = 8;
  o.eos_id = kEos;
  PackedDataset up(base_tokenizer(),
                   {TextSource::from_texts("domain", domain, 1.0), TextSource::from_texts("public", pub, 1.0)}, o);
  const auto& st = up.source_stats();
  REQUIRE(st[1].epoch_rows > st[1].train_rows);
  std::map<std::int64_t, int> seen;
  for (std::int64_t i = 0; i < up.epoch_rows(); ++i) ++seen[up.epoch_row(0, i)];
  const std::int64_t full = st[1].epoch_rows / st[1].train_rows;
  for (std::int64_t r = 0; r < st[1].train_rows; ++r) {
    const int c = seen[up.first_row(Split::kTrain, 1) + r];
    CHECK((c == full || c == full + 1));
  }
  REQUIRE_DAPT_ERROR(PackedDataset(base_tokenizer(), {TextSource::from_texts("d", domain, -1.0)}, o), kInvalidArgument,
                     "weight");
  REQUIRE_DAPT_ERROR(PackedDataset(base_tokenizer(),
                                   {TextSource::from_texts("d", domain), TextSource::from_texts("tiny", {"a"}, 1.0)}, o),
                     kInvalidArgument, "tiny");
}

TEST_CASE("TextSource: text units, JSONL fields, and errors that name file:line", "[train][data]") {
  dapt_test::TempDir dir("train_data_src");
  dapt_test::write_file(dir.path / "a.txt", "first line\nsecond line\n\n  \nthird para\nstill third\n");
  dapt_test::write_file(dir.path / "b.jsonl", "{\"text\": \"one\"}\n\n{\"body\": \"x\", \"text\": \"two\"}\n{\"text\": \"  \"}\n");
  dapt_test::write_file(dir.path / "bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"fine\"}\n{\"text\": 3}\n{not json\n");
  dapt_test::write_file(dir.path / "utf8.txt", std::string("valid then \xff bad"));
  const auto collect = [](const TextSource& s, train::SourceReadStats* st = nullptr) {
    std::vector<std::string> out;
    const auto r = s.read([&](train::Document&& d) { out.push_back(d.text); });
    if (st) *st = r;
    return out;
  };
  train::TextSourceOptions o;
  CHECK(collect(TextSource("a", {dir.path / "a.txt"}, 1.0, o)) ==
        std::vector<std::string>{"first line\nsecond line\n\n  \nthird para\nstill third\n"});
  o.unit = train::TextUnit::kLine;
  train::SourceReadStats st;
  CHECK(collect(TextSource("a", {dir.path / "a.txt"}, 1.0, o), &st) ==
        std::vector<std::string>{"first line", "second line", "third para", "still third"});
  CHECK(st.empty_skipped == 2);
  o.unit = train::TextUnit::kParagraph;
  CHECK(collect(TextSource("a", {dir.path / "a.txt"}, 1.0, o)) ==
        std::vector<std::string>{"first line\nsecond line", "third para\nstill third"});
  CHECK(collect(TextSource("b", {dir.path / "b.jsonl"}), &st) == std::vector<std::string>{"one", "two"});
  CHECK(st.empty_skipped == 1);
  CHECK(st.files == 1);

  REQUIRE_DAPT_ERROR(collect(TextSource("bad", {dir.path / "bad.jsonl"})), kFormat, "bad.jsonl:3");
  o = {};
  o.skip_malformed = true;
  CHECK(collect(TextSource("bad", {dir.path / "bad.jsonl"}, 1.0, o), &st) == std::vector<std::string>{"ok", "fine"});
  CHECK(st.malformed_skipped == 2);
  o.field = "body";
  o.skip_malformed = false;
  REQUIRE_DAPT_ERROR(collect(TextSource("b", {dir.path / "b.jsonl"}, 1.0, o)), kFormat, "b.jsonl:1");
  REQUIRE_DAPT_ERROR(collect(TextSource("missing", {dir.path / "none.txt"})), kIo, "none.txt");

  PackOptions po;
  po.seq_len = 4;
  po.eos_id = kEos;
  REQUIRE_DAPT_ERROR(PackedDataset(base_tokenizer(), {TextSource("u", {dir.path / "a.txt", dir.path / "utf8.txt"})}, po),
                     kInvalidArgument, "utf8.txt");
  // Files packed in order: the JSONL documents, each followed by EOS.
  PackedDataset ds(base_tokenizer(), {TextSource("b", {dir.path / "b.jsonl"})}, po);
  CHECK(ds.tokens() == static_cast<std::int64_t>(base_tokenizer().encode("one").size() +
                                                 base_tokenizer().encode("two").size() + 2));
}

// ---------------------------------------------------------------------------------------------
// SFT
// ---------------------------------------------------------------------------------------------

namespace {

std::vector<std::vector<ChatMessage>> conversations() {
  return {
      {{"system", "You are a chip design assistant."},
       {"user", "What does DRC stand for?"},
       {"assistant", "Design rule check."},
       {"user", "And LVS?"},
       {"assistant", " Layout versus schematic, it compares the netlist. "}},
      {{"user", "Name a timing signoff tool."}, {"assistant", "PrimeTime, for static timing analysis."}},
      {{"user", "hi"}, {"assistant", "Hello! How can I help with the RTL?"}, {"user", "Explain setup time."},
       {"assistant", "Setup time is how long data must be stable before the clock edge."}},
  };
}

// The decoded runs of labelled tokens of one sample.
std::vector<std::string> labelled_runs(const SftDataset& ds, std::int64_t i) {
  const auto ids = ds.sample_ids(Split::kTrain, i);
  const auto labels = ds.sample_labels(Split::kTrain, i);
  std::vector<std::string> runs;
  std::vector<TokenId> cur;
  for (std::size_t j = 0; j <= ids.size(); ++j) {
    if (j < ids.size() && labels[j] >= 0) {
      CHECK(labels[j] == ids[j]);
      cur.push_back(ids[j]);
    } else if (!cur.empty()) {
      runs.push_back(chat_tokenizer().decode(cur));
      cur.clear();
    }
  }
  return runs;
}

}  // namespace

TEST_CASE("SftDataset: labels cover exactly the assistant replies and their end markers", "[train][data][sft]") {
  const auto convs = conversations();
  for (auto format : {tokenizer::ChatFormat::kChatMl, tokenizer::ChatFormat::kChipNeMo}) {
    for (auto mode : {train::LossOn::kAllAssistant, train::LossOn::kLastAssistant}) {
      SftOptions o;
      o.format = format;
      o.loss_on = mode;
      o.shuffle = false;
      SftDataset ds(chat_tokenizer(), convs, o);
      REQUIRE(ds.samples() == 3);
      CHECK(ds.stats().train_samples == 3);
      for (std::int64_t i = 0; i < 3; ++i) {
        const auto& conv = convs[static_cast<std::size_t>(i)];
        std::vector<std::string> want;
        for (const auto& m : conv) {
          if (m.role != "assistant") continue;
          want.push_back(m.content + (format == tokenizer::ChatFormat::kChatMl ? "<|im_end|>" : "\n<extra_id_1>"));
        }
        if (mode == train::LossOn::kLastAssistant) want = {want.back()};
        INFO("format " << tokenizer::chat_format_name(format) << " sample " << i);
        CHECK(labelled_runs(ds, i) == want);
        // The ids are the whole rendered text, nothing lost or added.
        const auto ids = ds.sample_ids(Split::kTrain, i);
        CHECK(chat_tokenizer().decode(std::vector<TokenId>(ids.begin(), ids.end())) ==
              tokenizer::render_chat(format, conv).text);
      }
    }
  }
}

TEST_CASE("SftDataset: truncation, dropping and samples without trainable tokens are counted", "[train][data][sft]") {
  auto convs = conversations();
  convs.push_back({{"user", "only a question, no reply"}});
  SftOptions o;
  o.format = tokenizer::ChatFormat::kChatMl;
  o.shuffle = false;
  o.max_len = 4096;
  SftDataset full(chat_tokenizer(), convs, o);
  REQUIRE(full.samples() == 3);
  CHECK(full.stats().no_trainable_skipped == 1);  // the conversation without a reply
  std::vector<std::int64_t> length, first_label;
  for (std::int64_t i = 0; i < 3; ++i) {
    const auto l = full.sample_labels(Split::kTrain, i);
    length.push_back(static_cast<std::int64_t>(l.size()));
    first_label.push_back(std::find_if(l.begin(), l.end(), [](std::int32_t v) { return v >= 0; }) - l.begin());
  }
  const auto no_reply_len = static_cast<std::int64_t>(
      chat_tokenizer().encode(tokenizer::render_chat(o.format, convs[3]).text).size());
  const auto count = [&](auto pred) {
    std::int64_t n = 0;
    for (std::size_t i = 0; i < 3; ++i) n += pred(i) ? 1 : 0;
    return n;
  };
  for (std::int64_t max_len : {*std::min_element(first_label.begin(), first_label.end()),
                               *std::max_element(first_label.begin(), first_label.end()) + 1,
                               *std::min_element(length.begin(), length.end())}) {
    INFO("max_len " << max_len);
    o.max_len = max_len;
    o.truncation = train::SftTruncation::kTruncateEnd;
    SftDataset t(chat_tokenizer(), convs, o);
    const std::int64_t too_long = count([&](std::size_t i) { return length[i] > max_len; }) + (no_reply_len > max_len);
    const std::int64_t untrainable = count([&](std::size_t i) { return first_label[i] >= max_len; });
    CHECK(t.stats().samples_read == 4);
    CHECK(t.stats().truncated == too_long);
    CHECK(t.stats().no_trainable_skipped == untrainable + 1);
    CHECK(t.samples() == 3 - untrainable);
    // A kept sample is the prefix of the untruncated one, labels included.
    std::int64_t k = 0;
    for (std::size_t i = 0; i < 3; ++i) {
      if (first_label[i] >= max_len) continue;
      const auto ids = t.sample_ids(Split::kTrain, k), labels = t.sample_labels(Split::kTrain, k);
      const auto fids = full.sample_ids(Split::kTrain, static_cast<std::int64_t>(i));
      const auto flabels = full.sample_labels(Split::kTrain, static_cast<std::int64_t>(i));
      REQUIRE(static_cast<std::int64_t>(ids.size()) == std::min(max_len, length[i]));
      CHECK(std::equal(ids.begin(), ids.end(), fids.begin()));
      CHECK(std::equal(labels.begin(), labels.end(), flabels.begin()));
      ++k;
    }
    if (untrainable == 3) {
      BatchBuffers x(1, max_len);
      REQUIRE_DAPT_ERROR(t.next_batch(x.ids_v(), x.labels_v()), kInvalidArgument, "no training samples");
    }

    o.truncation = train::SftTruncation::kDrop;
    SftDataset d(chat_tokenizer(), convs, o);
    CHECK(d.stats().too_long_dropped == too_long);
    CHECK(d.stats().truncated == 0);
    CHECK(d.stats().no_trainable_skipped == (no_reply_len > max_len ? 0 : 1));
    CHECK(d.samples() == 4 - too_long - d.stats().no_trainable_skipped);
    CHECK(d.stats().train_samples + d.stats().validation_samples + d.stats().too_long_dropped +
              d.stats().no_trainable_skipped + d.stats().malformed_skipped ==
          d.stats().samples_read);
  }
}

TEST_CASE("SftDataset: JSONL reading and errors naming file:line", "[train][data][sft]") {
  dapt_test::TempDir dir("train_data_sft");
  const std::string good =
      R"({"messages": [{"role": "user", "content": "What is a latch?"}, {"role": "assistant", "content": "A level-sensitive storage element."}]})";
  dapt_test::write_file(dir.path / "ok.jsonl", good + "\n\n" + good + "\n");
  dapt_test::write_file(dir.path / "bad.jsonl", good + "\n{\"messages\": [{\"role\": \"user\"}]}\n");
  dapt_test::write_file(dir.path / "order.jsonl",
             good + "\n" + R"({"messages": [{"role": "assistant", "content": "x"}, {"role": "user", "content": "y"}]})" + "\n");
  SftOptions o;
  SftDataset ds(chat_tokenizer(), {dir.path / "ok.jsonl"}, o);
  CHECK(ds.samples() == 2);
  CHECK(ds.stats().samples_read == 2);
  REQUIRE_DAPT_ERROR(SftDataset(chat_tokenizer(), {dir.path / "bad.jsonl"}, o), kFormat, "bad.jsonl:2");
  REQUIRE_DAPT_ERROR(SftDataset(chat_tokenizer(), {dir.path / "order.jsonl"}, o), kFormat, "order.jsonl:2");
  o.skip_malformed = true;
  SftDataset skip(chat_tokenizer(), {dir.path / "bad.jsonl", dir.path / "order.jsonl"}, o);
  CHECK(skip.stats().malformed_skipped == 2);
  CHECK(skip.samples() == 2);
}

TEST_CASE("SftDataset: batches pad or pack, and resume from state()", "[train][data][sft]") {
  std::vector<std::vector<ChatMessage>> convs;
  for (int i = 0; i < 17; ++i)
    convs.push_back({{"user", "Question " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 4), '?')},
                     {"assistant", "Answer number " + std::to_string(i) + "."}});
  SftOptions o;
  o.format = tokenizer::ChatFormat::kChatMl;
  o.max_len = 64;
  o.pad_id = 1;
  o.shuffle_seed = 9;
  SftDataset a(chat_tokenizer(), convs, o);
  REQUIRE(a.samples() == 17);
  BatchBuffers x(4, 64);
  const auto info = a.next_batch(x.ids_v(), x.labels_v(), x.segs_v());
  CHECK(info.samples == 4);
  for (std::int64_t r = 0; r < 4; ++r) {
    const auto s = a.sample_ids(Split::kTrain, a.epoch_sample(0, r));
    const auto l = a.sample_labels(Split::kTrain, a.epoch_sample(0, r));
    for (std::int64_t j = 0; j < 64; ++j) {
      const auto k = static_cast<std::size_t>(r * 64 + j);
      if (j < static_cast<std::int64_t>(s.size())) {
        CHECK(x.ids[k] == s[static_cast<std::size_t>(j)]);
        CHECK(x.labels[k] == l[static_cast<std::size_t>(j)]);
        CHECK(x.segs[k] == 0);
      } else {
        CHECK(x.ids[k] == 1);
        CHECK(x.labels[k] == train::kIgnoreLabel);
        CHECK(x.segs[k] == 1);
      }
    }
  }
  const DataState st = a.state();
  std::vector<std::vector<std::int32_t>> want;
  for (int i = 0; i < 6; ++i) {  // crosses into epoch 1
    a.next_batch(x.ids_v(), x.labels_v(), x.segs_v());
    want.push_back(x.ids);
    want.push_back(x.labels);
  }
  CHECK(a.epoch() == 1);
  SftDataset b(chat_tokenizer(), convs, o);
  b.set_state(st);
  for (int i = 0; i < 6; ++i) {
    b.next_batch(x.ids_v(), x.labels_v(), x.segs_v());
    CHECK(x.ids == want[static_cast<std::size_t>(2 * i)]);
    CHECK(x.labels == want[static_cast<std::size_t>(2 * i + 1)]);
  }

  // Packing: several samples per row, in epoch order, one segment each.
  o.pack = true;
  SftDataset p(chat_tokenizer(), convs, o);
  BatchBuffers y(2, 64);
  const auto pinfo = p.next_batch(y.ids_v(), y.labels_v(), y.segs_v());
  CHECK(pinfo.samples > 2);
  std::int64_t sample = 0;
  for (std::int64_t r = 0; r < 2; ++r) {
    std::int64_t col = 0;
    std::int32_t seg = 0;
    while (true) {
      const auto s = p.sample_ids(Split::kTrain, p.epoch_sample(0, sample));
      if (col + static_cast<std::int64_t>(s.size()) > 64 || sample >= pinfo.samples) break;
      for (std::size_t j = 0; j < s.size(); ++j) {
        CHECK(y.ids[static_cast<std::size_t>(r * 64 + col) + j] == s[j]);
        CHECK(y.segs[static_cast<std::size_t>(r * 64 + col) + j] == seg);
      }
      col += static_cast<std::int64_t>(s.size());
      ++seg;
      ++sample;
    }
    CHECK(seg >= 1);
    for (std::int64_t j = col; j < 64; ++j) CHECK(y.labels[static_cast<std::size_t>(r * 64 + j)] == train::kIgnoreLabel);
  }
  CHECK(sample == pinfo.samples);
  BatchBuffers narrow(1, 8);
  REQUIRE_DAPT_ERROR(p.next_batch(narrow.ids_v(), narrow.labels_v()), kShape, "batch width");
}
