/// @file main.cpp
/// @brief Example 01: ChipNeMo's tokenizer augmentation, end to end. It loads a base tokenizer
/// (by default the bundled LLaMA-2-style SentencePiece model), trains a domain tokenizer of the
/// same flavour on chip-design text (by default the bundled Yosys Verilog in data/chip_design),
/// merges the domain tokens that the base lacks and that are rare in general text
/// (data/general), and prints the report: tokens added, why candidates were dropped, and the
/// token counts of held-out domain text and general text before and after. It also shows how a
/// line of Verilog tokenizes before and after, and what the new tokens decompose into (the base
/// ids whose embeddings initialise theirs). With --out DIR it saves the merged tokenizer in the
/// base's format.
///
/// Usage: 01_tokenizer_augmentation [--base FILE] [--domain DIR] [--general DIR]
///                                  [--domain-vocab N] [--rarity PER_MILLION] [--out DIR]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "dapt/tokenizer/hf_json.hpp"
#include "dapt/tokenizer/merge.hpp"
#include "dapt/tokenizer/sentencepiece.hpp"
#include "dapt/tokenizer/trainer.hpp"

namespace fs = std::filesystem;
using namespace dapt::tokenizer;

namespace {

/// The text files of a directory, sorted, as one document per file.
std::vector<std::pair<fs::path, std::string>> read_dir(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  DAPT_CHECK(!files.empty(), "no files in ", dir.string());
  std::vector<std::pair<fs::path, std::string>> out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    DAPT_CHECK(is_valid_utf8(text), f.string(), " is not UTF-8 text");
    out.emplace_back(f, std::move(text));
  }
  return out;
}

/// Cuts texts into line-aligned chunks of about `size` bytes (samples for the report).
std::vector<std::string> chunks(const std::vector<std::string>& texts, std::size_t size = 4096) {
  std::vector<std::string> out;
  for (const auto& t : texts) {
    std::size_t pos = 0;
    while (pos < t.size()) {
      std::size_t end = std::min(t.size(), pos + size);
      const auto nl = t.find('\n', end);
      end = nl == std::string::npos ? t.size() : nl + 1;
      out.push_back(t.substr(pos, end - pos));
      pos = end;
    }
  }
  return out;
}

/// Tokens as the file spells them ("▁" or "Ġ" for spaces), control characters escaped.
std::string show(const Tokenizer& tok, const std::vector<TokenId>& ids) {
  std::string out;
  for (TokenId id : ids) {
    out += '[';
    for (char c : tok.id_to_token(id)) {
      if (c == '\n') out += "\\n";
      else if (c == '\t') out += "\\t";
      else out += c;
    }
    out += ']';
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  return examples::run_main(argc, argv, [](std::vector<std::string> args) {
    const fs::path data(DAPT_EXAMPLE_DATA_DIR);
    const fs::path base_path = examples::take_option(args, "--base").value_or(DAPT_EXAMPLE_TOKENIZER);
    const fs::path domain_dir = examples::take_option(args, "--domain").value_or((data / "chip_design").string());
    const fs::path general_dir = examples::take_option(args, "--general").value_or((data / "general").string());
    const auto domain_vocab = std::stoul(examples::take_option(args, "--domain-vocab").value_or("3000"));
    const double rarity = std::stod(examples::take_option(args, "--rarity").value_or("50"));
    const auto out_dir = examples::take_option(args, "--out");
    DAPT_CHECK(args.empty(), "unknown argument \"", args.empty() ? "" : args[0], "\"");
    dapt::apply_thread_policy();

    const Tokenizer base = load_tokenizer(base_path);
    const bool byte_level = base.model().options().alphabet == BpeAlphabet::kBytes;
    std::printf("base tokenizer   %s: %s BPE, %zu ids\n", base_path.filename().c_str(),
                byte_level ? "byte-level" : "SentencePiece-style", base.vocab_size());

    // Hold out every fifth domain file (at least one) for the report; train on the rest.
    const auto domain_files = read_dir(domain_dir);
    std::vector<std::string> train_texts, heldout_texts;
    for (std::size_t i = 0; i < domain_files.size(); ++i)
      ((i % 5 == 4 || (i == domain_files.size() - 1 && heldout_texts.empty())) ? heldout_texts : train_texts)
          .push_back(domain_files[i].second);
    std::vector<std::string> general_texts;
    for (auto& [path, text] : read_dir(general_dir)) general_texts.push_back(std::move(text));

    TrainerOptions options = byte_level ? TrainerOptions::byte_level(domain_vocab) : TrainerOptions::sentencepiece(domain_vocab);
    BpeTrainer trainer(options);
    for (const auto& t : train_texts) trainer.feed(t);
    const Tokenizer domain = trainer.train();
    const auto& st = trainer.stats();
    std::printf("domain tokenizer trained on %zu files (%.0f KB) in %.2f s: %zu ids, %zu merges\n", train_texts.size(),
                st.bytes / 1e3, st.feed_seconds + st.train_seconds, domain.vocab_size(), st.merges);

    VocabMergeOptions merge_options;
    merge_options.max_general_per_million = rarity;
    const auto domain_sample = chunks(train_texts);
    const auto merged = merge_vocabularies(base, domain, domain_sample, chunks(general_texts), merge_options);
    const auto& r = merged.report;
    std::size_t intermediates = 0;
    for (const auto& t : merged.new_tokens) intermediates += t.intermediate ? 1 : 0;
    std::printf("\ncandidates       %zu domain tokens absent from the base\n", r.candidates);
    std::printf("rejected         %zu common in general text (> %g per million tokens), %zu unused on domain text\n",
                r.rejected_common, rarity, r.rejected_unused);
    std::printf("added            %zu tokens (%zu of them intermediates that make others reachable): %zu -> %zu ids\n",
                merged.new_tokens.size(), intermediates, r.base_vocab, r.merged_vocab);

    // The report's counts are on the training sample; held-out domain text is the honest figure.
    SampleCounts heldout;
    for (const auto& chunk : chunks(heldout_texts)) {
      heldout.bytes += chunk.size();
      heldout.tokens_before += base.encode(chunk).size();
      heldout.tokens_after += merged.tokenizer.encode(chunk).size();
    }
    std::printf("\n%-28s %10s %12s %12s %9s\n", "sample", "KB", "tokens base", "tokens new", "saved");
    auto row = [](const char* name, const SampleCounts& c) {
      std::printf("%-28s %10.1f %12llu %12llu %8.2f%%\n", name, c.bytes / 1e3, static_cast<unsigned long long>(c.tokens_before),
                  static_cast<unsigned long long>(c.tokens_after), 100.0 * c.reduction());
    };
    row("domain (training files)", r.domain);
    row("domain (held-out files)", heldout);
    row("general text", r.general);

    std::printf("\nsome new tokens and their base decomposition:\n");
    std::vector<const NewToken*> shown;
    for (const auto& t : merged.new_tokens)
      if (!t.intermediate) shown.push_back(&t);
    std::sort(shown.begin(), shown.end(), [](const NewToken* a, const NewToken* b) { return a->domain_count > b->domain_count; });
    for (std::size_t i = 0; i < std::min<std::size_t>(8, shown.size()); ++i)
      std::printf("  %6d %-24s <- %s  (%llu uses)\n", shown[i]->id, show(merged.tokenizer, {shown[i]->id}).c_str(),
                  show(base, shown[i]->decomposition).c_str(), static_cast<unsigned long long>(shown[i]->domain_count));

    const std::string line = "  always @(posedge clk) if (!rst_n) q <= 1'b0; else q <= d;";
    std::printf("\n%s\n  base   %zu tokens: %s\n  merged %zu tokens: %s\n", line.c_str(), base.encode(line).size(),
                show(base, base.encode(line)).c_str(), merged.tokenizer.encode(line).size(),
                show(merged.tokenizer, merged.tokenizer.encode(line)).c_str());

    if (out_dir) {
      fs::create_directories(*out_dir);
      if (base_path.extension() == ".model") {
        auto spm = load_sentencepiece_model(base_path);
        std::vector<std::string> pieces;
        for (const auto& t : merged.new_tokens) pieces.push_back(t.content);
        append_sentencepiece_pieces(spm, pieces);
        save_sentencepiece_model(fs::path(*out_dir) / "tokenizer.model", spm);
        std::printf("\nsaved %s\n", (fs::path(*out_dir) / "tokenizer.model").c_str());
      } else {
        save_hf_tokenizer(fs::path(*out_dir) / "tokenizer.json", merged.tokenizer);
        std::printf("\nsaved %s\n", (fs::path(*out_dir) / "tokenizer.json").c_str());
      }
    }
    return 0;
  });
}
