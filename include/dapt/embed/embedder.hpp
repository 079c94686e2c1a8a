/// @file embedder.hpp
/// @brief `embed::Embedder`, a text embedding model built from the SDK's own blocks: a
/// `nn::LlamaTrunk` whose attention is bidirectional by default (every token sees the whole
/// sequence; padding is masked as its own segment), a pooling of the last hidden states (mean
/// over real tokens as in E5, last token, or first token) and L2 normalisation. Queries and
/// passages get their prefixes ("query: " / "passage: ", E5's convention) before tokenisation.
///
/// Two ways to run it:
/// - `forward(ids, mask)` on a padded batch returns the (N, C) embeddings and keeps the
///   activations; `backward(d_embeddings)` adds every trainable parameter's gradient. The
///   contrastive trainer (embed/contrastive.hpp) is built on these two.
/// - `embed(tokenizer, texts, kind)` / `embed_ids(sequences)` embed any number of texts in
///   padded batches (sorted by length, so little compute goes to padding) and return a host
///   (N, C) tensor in input order.
///
/// `save_embedder` writes a sentence-transformers folder (config.json of a `LlamaModel`,
/// model.safetensors, modules.json, 1_Pooling/config.json, config_sentence_transformers.json
/// with the prefixes as prompts, sentence_bert_config.json) plus dapt_embedder.json with what
/// sentence-transformers has no field for (causality, BOS/EOS). `load_embedder` reads it back,
/// and also starts an embedder from a causal LM checkpoint (`model.`-prefixed weights; the head
/// is ignored), e.g. the domain-adapted LLaMA of the DAPT stage.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/detail/file_util.hpp"
#include "dapt/io/hf_config.hpp"
#include "dapt/io/json.hpp"
#include "dapt/io/llama_layout.hpp"
#include "dapt/io/safetensors.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/nn/llama_trunk.hpp"
#include "dapt/nn/lora.hpp"
#include "dapt/ops/elementwise.hpp"
#include "dapt/ops/pooling.hpp"
#include "dapt/retrieval/search.hpp"
#include "dapt/tokenizer/tokenizer.hpp"

namespace dapt::embed {

using Pooling = ops::PoolMode;

/// Which prefix a text gets.
enum class TextKind { kQuery, kPassage, kRaw };

struct EmbedderConfig {
  io::LlamaConfig model;                 ///< the trunk (its vocab_size is the tokenizer's)
  Pooling pooling = Pooling::kMean;
  bool normalize = true;                 ///< L2-normalise embeddings (cosine = inner product)
  bool causal = false;                   ///< false: bidirectional attention
  std::string query_prefix = "query: ";
  std::string passage_prefix = "passage: ";
  std::int64_t max_length = 512;         ///< tokens per text, prefix and BOS/EOS included (longer are cut)
  bool add_bos = true;                   ///< start each text with the model's bos_token_id (when it has one)
  bool append_eos = false;               ///< end each text with eos (usual for last-token pooling)

  void validate(std::string_view source = "EmbedderConfig") const {
    model.validate(source);
    DAPT_CHECK_AS(kConfig, max_length >= 1, source, ": max_length must be >= 1, got ", max_length);
  }
};

template <class Device>
class Embedder {
 public:
  explicit Embedder(EmbedderConfig config) : config_(validated(std::move(config))), trunk_(config_.model) {
    trunk_.set_causal(config_.causal);
  }
  Embedder(const Embedder&) = delete;
  Embedder& operator=(const Embedder&) = delete;

  const EmbedderConfig& config() const noexcept { return config_; }
  nn::LlamaTrunk<Device>& trunk() noexcept { return trunk_; }
  /// Embedding width C.
  std::int64_t dim() const noexcept { return config_.model.hidden_size; }

  /// Normal(0, std) weights (std 0: the config's initializer_range, else 0.02), from `seed`.
  void init_weights(std::uint64_t seed, double std = 0) requires std::is_same_v<Device, Cpu> {
    if (std <= 0) {
      const auto* r = config_.model.extra.if_contains("initializer_range");
      std = r && r->is_number() ? r->to_number<double>() : 0.02;
    }
    Rng rng(seed);
    trunk_.init(rng, static_cast<float>(std));
  }

  /// Every parameter under its name in a saved `LlamaModel` ("layers.0.self_attn.q_proj.weight").
  void visit_parameters(const nn::ParamVisitor<Device>& fn) { trunk_.visit_parameters(fn, ""); }
  /// Mixed precision on the GPU (see nn::Llama::set_compute_dtype): BF16 runs the trunk and the
  /// pooling in bf16 on fp32 masters; the embeddings `forward` returns, and the gradient
  /// `backward` takes, stay F32. BF16 on the CPU throws kDtype.
  void set_compute_dtype(DType dtype) {
    visit_parameters([dtype](const std::string&, nn::Param<Device>& p) { p.set_compute_dtype(dtype); });
  }
  DType compute_dtype() { return trunk_.embed_tokens().weight().compute_dtype(); }

  void visit_buffers(const nn::BufferVisitor<Device>& fn) {
    trunk_.visit_buffers(fn);
    fn(emb_);
    fn(wide_);
    fn(narrow_);
    fn(norms_);
    fn(dh_);
    if constexpr (std::is_same_v<Device, Cpu>) fn(seg_);
  }
  void set_recompute(const nn::RecomputeOptions& o) { trunk_.set_recompute(o); }

  /// ids (N, T) I32 and mask (N, T) I32 host (1 real token, 0 padding; each row's real tokens are
  /// one run, left or right padded) -> embeddings (N, C), keeping activations for `backward`.
  TensorView<Device> forward(const TensorView<Device>& ids, const TensorView<Cpu>& mask) {
    DAPT_CHECK_AS(kShape, ids.rank() == 2, "Embedder: ids must be (N, T), got ", ids.shape().str());
    DAPT_CHECK_AS(kShape, mask.shape() == ids.shape() && mask.dtype() == DType::kI32,
                  "Embedder: mask must be I32 of the ids' shape ", ids.shape().str(), ", got ", mask.shape().str());
    const std::int64_t n = ids.dim(0), t = ids.dim(1);
    // Padding is its own segment: real tokens never attend to it (and positions restart at the
    // first real token of a left-padded row).
    TensorView<Cpu> seg = seg_.view({n, t}, DType::kI32);
    const auto* m = mask.data<const std::int32_t>();
    auto* s = seg.data<std::int32_t>();
    for (std::int64_t i = 0; i < n; ++i) {
      std::int64_t runs = 0;
      for (std::int64_t j = 0; j < t; ++j) {
        DAPT_CHECK(m[i * t + j] == 0 || m[i * t + j] == 1, "Embedder: mask[", i, ", ", j, "] is ", m[i * t + j],
                   "; expected 0 or 1");
        s[i * t + j] = m[i * t + j] ? 0 : 1;
        runs += m[i * t + j] && (j == 0 || !m[i * t + j - 1]);
      }
      DAPT_CHECK(runs == 1, "Embedder: row ", i, " of the mask ", runs == 0 ? "has no real token" : "has holes",
                 " (its real tokens must be one run)");
    }
    mask_ = mask;
    h_ = trunk_.forward(ids, seg);
    emb_view_ = emb_.view({n, dim()}, h_.dtype());
    ops::pool_forward(h_, mask, emb_view_, norms_.view({n}), config_.pooling, config_.normalize);
    if (h_.dtype() == DType::kF32) return emb_view_;
    // bf16 pooling: the caller gets F32 embeddings.
    const TensorView<Device> wide = wide_.view({n, dim()});
    ops::convert(emb_view_, wide);
    return wide;
  }

  /// d_embeddings (N, C), the gradient of forward's output -> parameter gradients (added).
  void backward(const TensorView<Device>& demb) {
    DAPT_CHECK_AS(kShape, demb.shape() == emb_view_.shape(), "Embedder::backward: gradient of shape ",
                  demb.shape().str(), " for embeddings of shape ", emb_view_.shape().str());
    TensorView<Device> dh = dh_.view(h_.shape(), h_.dtype());
    TensorView<Device> d = demb;
    if (h_.dtype() != DType::kF32 && demb.dtype() == DType::kF32) {
      d = narrow_.view(demb.shape(), h_.dtype());
      ops::convert(demb, d);
    }
    ops::pool_backward(d, emb_view_, norms_.view({emb_view_.dim(0)}), mask_, dh, config_.pooling,
                       config_.normalize);
    trunk_.backward(dh);
  }

  /// The token ids of one text: BOS (when configured and known), the kind's prefix + text, EOS
  /// (when configured), cut to max_length (the EOS kept).
  std::vector<std::int32_t> tokenize(const tokenizer::Tokenizer& tok, std::string_view text, TextKind kind) const {
    std::string s = kind == TextKind::kQuery ? config_.query_prefix : kind == TextKind::kPassage ? config_.passage_prefix
                                                                                               : std::string();
    s.append(text);
    std::vector<std::int32_t> ids;
    if (config_.add_bos && config_.model.bos_token_id) ids.push_back(static_cast<std::int32_t>(*config_.model.bos_token_id));
    for (auto id : tok.encode(s)) ids.push_back(static_cast<std::int32_t>(id));
    const bool eos = config_.append_eos && !config_.model.eos_token_ids.empty();
    const auto room = static_cast<std::size_t>(config_.max_length - (eos ? 1 : 0));
    if (ids.size() > room) ids.resize(std::max<std::size_t>(room, 1));
    if (eos) ids.push_back(static_cast<std::int32_t>(config_.model.eos_token_ids.front()));
    return ids;
  }

  /// Embeds token sequences (each non-empty, at most max_length; ids inside the vocabulary) in
  /// padded batches of up to `batch` sequences, longest first; returns (N, C) in input order.
  Tensor<Cpu> embed_ids(std::span<const std::vector<std::int32_t>> seqs, std::int64_t batch = 32)
      requires std::is_same_v<Device, Cpu> {
    DAPT_CHECK(batch >= 1, "Embedder::embed_ids: batch must be >= 1, got ", batch);
    const auto n = static_cast<std::int64_t>(seqs.size());
    Tensor<Cpu> out = Tensor<Cpu>::empty({n, dim()}, DType::kF32);
    std::vector<std::int64_t> order(seqs.size());
    std::iota(order.begin(), order.end(), 0);
    for (std::int64_t i = 0; i < n; ++i) {
      const auto& s = seqs[static_cast<std::size_t>(i)];
      DAPT_CHECK(!s.empty(), "Embedder::embed_ids: sequence ", i, " is empty");
      for (auto id : s)
        DAPT_CHECK_AS(kOutOfRange, id >= 0 && id < trunk_.vocab_size(), "Embedder::embed_ids: token id ", id,
                      " of sequence ", i, " is outside the vocabulary of ", trunk_.vocab_size());
    }
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
      return seqs[static_cast<std::size_t>(a)].size() > seqs[static_cast<std::size_t>(b)].size();
    });
    for (std::int64_t b0 = 0; b0 < n; b0 += batch) {
      const std::int64_t rows = std::min(batch, n - b0);
      const auto t = static_cast<std::int64_t>(seqs[static_cast<std::size_t>(order[static_cast<std::size_t>(b0)])].size());
      TensorView<Cpu> ids = ids_buf_.view({rows, t}, DType::kI32), mask = mask_buf_.view({rows, t}, DType::kI32);
      auto* ip = ids.data<std::int32_t>();
      auto* mp = mask.data<std::int32_t>();
      for (std::int64_t r = 0; r < rows; ++r) {
        const auto& s = seqs[static_cast<std::size_t>(order[static_cast<std::size_t>(b0 + r)])];
        for (std::int64_t j = 0; j < t; ++j) {
          const bool real = j < static_cast<std::int64_t>(s.size());
          ip[r * t + j] = real ? s[static_cast<std::size_t>(j)] : 0;
          mp[r * t + j] = real ? 1 : 0;
        }
      }
      const TensorView<Cpu> e = forward(ids, mask);
      for (std::int64_t r = 0; r < rows; ++r)
        std::copy_n(e.data<const float>() + r * dim(), dim(),
                    out.data<float>() + order[static_cast<std::size_t>(b0 + r)] * dim());
    }
    return out;
  }

  /// Tokenises (with the kind's prefix) and embeds `texts`; (N, C) in input order.
  Tensor<Cpu> embed(const tokenizer::Tokenizer& tok, std::span<const std::string> texts, TextKind kind,
                    std::int64_t batch = 32) requires std::is_same_v<Device, Cpu> {
    std::vector<std::vector<std::int32_t>> seqs;
    seqs.reserve(texts.size());
    for (const auto& t : texts) seqs.push_back(tokenize(tok, t, kind));
    return embed_ids(seqs, batch);
  }

 private:
  static EmbedderConfig validated(EmbedderConfig c) {
    c.validate();
    return c;
  }

  EmbedderConfig config_;
  nn::LlamaTrunk<Device> trunk_;
  TensorView<Device> h_, emb_view_;
  TensorView<Cpu> mask_;
  nn::Buffer<Device> emb_, norms_, dh_;
  nn::Buffer<Device> wide_, narrow_;  // bf16 mode: the F32 embeddings returned; the gradient in bf16
  nn::Buffer<Cpu> seg_, ids_buf_, mask_buf_;
};

/// LoRA targets of an embedder: the blocks' projections, named as in a saved LlamaModel.
template <class Device>
void visit_linears(Embedder<Device>& e, const nn::LinearVisitor<Device>& fn) {
  nn::visit_linears(e.trunk(), fn, "");
}

/// A `retrieval::Searcher` over a vector index of passage embeddings (`FlatIndex`, `HnswIndex`,
/// or any type with `search(std::span<const float> query, std::int64_t k)`): embeds the query as a
/// TextKind::kQuery text and searches. Holds references to all three. Not thread-safe (the
/// embedder keeps activations): give each thread its own embedder.
template <class Index>
retrieval::Searcher dense_searcher(Embedder<Cpu>& embedder, const tokenizer::Tokenizer& tok, const Index& index) {
  return [&embedder, &tok, &index](std::string_view query, std::int64_t k) {
    const std::vector<std::string> texts{std::string(query)};
    const Tensor<Cpu> q = embedder.embed(tok, texts, TextKind::kQuery, 1);
    return index.search(std::span<const float>(q.data<const float>(), static_cast<std::size_t>(q.numel())), k);
  };
}

// ---------------------------------------------------------------------------------------------
// Saving and loading (sentence-transformers folder)
// ---------------------------------------------------------------------------------------------

inline constexpr const char* kDaptEmbedderFile = "dapt_embedder.json";

namespace detail {

inline std::string pooling_config_json(const EmbedderConfig& c) {
  boost::json::object o;
  o["word_embedding_dimension"] = c.model.hidden_size;
  o["pooling_mode_cls_token"] = c.pooling == Pooling::kFirstToken;
  o["pooling_mode_mean_tokens"] = c.pooling == Pooling::kMean;
  o["pooling_mode_max_tokens"] = false;
  o["pooling_mode_mean_sqrt_len_tokens"] = false;
  o["pooling_mode_weightedmean_tokens"] = false;
  o["pooling_mode_lasttoken"] = c.pooling == Pooling::kLastToken;
  o["include_prompt"] = true;
  return boost::json::serialize(o) + "\n";
}

/// Reads 1_Pooling/config.json: exactly one supported mode must be on.
inline Pooling parse_pooling_config(const std::filesystem::path& path) {
  const std::string src = path.string();
  const boost::json::value root = io::read_json_file(path, 1u << 20);
  const auto& o = io::as_object(root, src);
  auto flag = [&](const char* key) {
    const auto* v = o.if_contains(key);
    DAPT_CHECK_AS(kFormat, v == nullptr || v->is_bool(), src, ": \"", key, "\" must be a boolean");
    return v && v->get_bool();
  };
  for (const char* unsupported : {"pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                                  "pooling_mode_weightedmean_tokens"})
    DAPT_CHECK_AS(kUnsupported, !flag(unsupported), src, ": \"", unsupported, "\" pooling is not supported (mean, lasttoken, cls are)");
  const bool mean = flag("pooling_mode_mean_tokens"), last = flag("pooling_mode_lasttoken"),
             cls = flag("pooling_mode_cls_token");
  DAPT_CHECK_AS(kFormat, mean + last + cls == 1, src, ": exactly one pooling mode must be true (mean, lasttoken, cls)");
  if (const auto* d = o.if_contains("word_embedding_dimension"))
    DAPT_CHECK_AS(kFormat, d->is_int64() || d->is_uint64(), src, ": \"word_embedding_dimension\" must be an integer");
  return mean ? Pooling::kMean : last ? Pooling::kLastToken : Pooling::kFirstToken;
}

/// The weights' name prefix in a checkpoint: "" for a saved LlamaModel, "model." for a causal LM.
inline std::string weight_prefix(const io::SafetensorsCheckpoint& ckpt) {
  if (ckpt.contains("embed_tokens.weight")) return "";
  if (ckpt.contains("model.embed_tokens.weight")) return "model.";
  DAPT_FAIL(ErrorCategory::kConfig, ckpt.source(),
            ": neither \"embed_tokens.weight\" (LlamaModel) nor \"model.embed_tokens.weight\" (LlamaForCausalLM) is present");
}

}  // namespace detail

/// Writes the embedder as a sentence-transformers folder into `dir` (created if missing); each
/// file atomically. An unmerged LoRA adapter is kInvalidArgument (merge it first, or save it with
/// io::save_lora).
inline void save_embedder(Embedder<Cpu>& model, const std::filesystem::path& dir) {
  nn::visit_lora_adapters<Embedder<Cpu>, Cpu>(model, [&](const std::string& name, nn::Linear<Cpu>&, nn::LoraAdapter<Cpu>& a) {
    DAPT_CHECK(a.merged(), "save_embedder: ", name, " has an unmerged LoRA adapter; merge it (nn::merge_lora) first, or "
               "save the adapter with io::save_lora");
  });
  std::error_code ec;
  std::filesystem::create_directories(dir / "1_Pooling", ec);
  if (ec) DAPT_FAIL(ErrorCategory::kIo, "cannot create directory ", (dir / "1_Pooling").string(), ": ", ec.message());
  const EmbedderConfig& c = model.config();
  std::vector<io::NamedTensor> tensors;
  model.visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    if (!nn::is_lora_parameter(name)) tensors.push_back({name, p.value().view()});
  });
  io::save_safetensors(dir / "model.safetensors", tensors, {{"format", "pt"}});
  io::LlamaConfig lc = c.model;
  lc.extra["architectures"] = boost::json::array{"LlamaModel"};
  lc.extra["is_causal"] = c.causal;
  lc.dtype = "float32";
  io::detail::write_file_atomic(dir / "config.json", io::to_config_json(lc));
  const bool normalize = c.normalize;
  boost::json::array modules{
      boost::json::object{{"idx", 0}, {"name", "0"}, {"path", ""}, {"type", "sentence_transformers.models.Transformer"}},
      boost::json::object{{"idx", 1}, {"name", "1"}, {"path", "1_Pooling"}, {"type", "sentence_transformers.models.Pooling"}}};
  if (normalize)
    modules.push_back(boost::json::object{{"idx", 2}, {"name", "2"}, {"path", "2_Normalize"},
                                          {"type", "sentence_transformers.models.Normalize"}});
  else
    std::filesystem::remove_all(dir / "2_Normalize", ec);
  if (normalize) {
    std::filesystem::create_directories(dir / "2_Normalize", ec);
    if (ec) DAPT_FAIL(ErrorCategory::kIo, "cannot create directory ", (dir / "2_Normalize").string(), ": ", ec.message());
  }
  io::detail::write_file_atomic(dir / "modules.json", boost::json::serialize(modules) + "\n");
  io::detail::write_file_atomic(dir / "1_Pooling" / "config.json", detail::pooling_config_json(c));
  io::detail::write_file_atomic(
      dir / "config_sentence_transformers.json",
      boost::json::serialize(boost::json::object{
          {"prompts", boost::json::object{{"query", c.query_prefix}, {"passage", c.passage_prefix}}},
          {"default_prompt_name", nullptr},
          {"similarity_fn_name", normalize ? "cosine" : "dot"}}) + "\n");
  io::detail::write_file_atomic(dir / "sentence_bert_config.json",
                                boost::json::serialize(boost::json::object{{"max_seq_length", c.max_length},
                                                                           {"do_lower_case", false}}) + "\n");
  io::detail::write_file_atomic(
      dir / kDaptEmbedderFile,
      boost::json::serialize(boost::json::object{{"causal", c.causal}, {"add_bos", c.add_bos}, {"append_eos", c.append_eos}}) +
          "\n");
}

/// Options for `load_embedder` when the folder does not say (a plain LLaMA checkpoint): the
/// values of `defaults` other than `model` are used for what the folder lacks.
inline std::unique_ptr<Embedder<Cpu>> load_embedder(const std::filesystem::path& dir, EmbedderConfig defaults = {}) {
  EmbedderConfig c = std::move(defaults);
  c.model = io::load_llama_config(dir);
  std::error_code ec;
  if (std::filesystem::exists(dir / "1_Pooling" / "config.json", ec))
    c.pooling = detail::parse_pooling_config(dir / "1_Pooling" / "config.json");
  if (std::filesystem::exists(dir / "modules.json", ec)) {
    const std::string src = (dir / "modules.json").string();
    const boost::json::value root = io::read_json_file(dir / "modules.json", 1u << 20);
    DAPT_CHECK_AS(kFormat, root.is_array(), src, ": must be a JSON array of modules");
    c.normalize = false;
    for (const auto& m : root.get_array()) {
      const auto& o = io::as_object(m, src + ": module");
      const auto* type = o.if_contains("type");
      DAPT_CHECK_AS(kFormat, type && type->is_string(), src, ": a module has no \"type\" string");
      const std::string_view t = type->get_string();
      if (t == "sentence_transformers.models.Normalize") c.normalize = true;
      else if (t != "sentence_transformers.models.Transformer" && t != "sentence_transformers.models.Pooling")
        DAPT_FAIL(ErrorCategory::kUnsupported, src, ": module type \"", t, "\" is not supported (Transformer, Pooling, Normalize are)");
    }
  }
  if (std::filesystem::exists(dir / "config_sentence_transformers.json", ec)) {
    const std::string src = (dir / "config_sentence_transformers.json").string();
    const boost::json::value root = io::read_json_file(dir / "config_sentence_transformers.json", 1u << 20);
    const auto& o = io::as_object(root, src);
    if (const auto* p = o.if_contains("prompts"); p && !p->is_null()) {
      const auto& prompts = io::as_object(*p, src + ": prompts");
      for (const auto& [key, var] : {std::pair{"query", &c.query_prefix}, std::pair{"passage", &c.passage_prefix}}) {
        if (const auto* v = prompts.if_contains(key)) {
          DAPT_CHECK_AS(kFormat, v->is_string(), src, ": prompts.", key, " must be a string");
          *var = std::string(v->get_string());
        }
      }
    }
  }
  if (std::filesystem::exists(dir / "sentence_bert_config.json", ec)) {
    const std::string src = (dir / "sentence_bert_config.json").string();
    const boost::json::value root = io::read_json_file(dir / "sentence_bert_config.json", 1u << 20);
    if (const auto* v = io::as_object(root, src).if_contains("max_seq_length"); v && !v->is_null()) {
      DAPT_CHECK_AS(kFormat, (v->is_int64() && v->get_int64() >= 1) || v->is_uint64(), src,
                    ": \"max_seq_length\" must be a positive integer");
      c.max_length = v->to_number<std::int64_t>();
    }
  }
  if (std::filesystem::exists(dir / kDaptEmbedderFile, ec)) {
    const std::string src = (dir / kDaptEmbedderFile).string();
    const boost::json::value root = io::read_json_file(dir / kDaptEmbedderFile, 1u << 20);
    const auto& o = io::as_object(root, src);
    for (const auto& [key, var] : {std::pair{"causal", &c.causal}, std::pair{"add_bos", &c.add_bos},
                                   std::pair{"append_eos", &c.append_eos}}) {
      if (const auto* v = o.if_contains(key)) {
        DAPT_CHECK_AS(kFormat, v->is_bool(), src, ": \"", key, "\" must be a boolean");
        *var = v->get_bool();
      }
    }
  } else if (const auto* v = c.model.extra.if_contains("is_causal"); v && v->is_bool()) {
    c.causal = v->get_bool();
  }
  const auto ckpt = io::SafetensorsCheckpoint::open(dir);
  const std::string prefix = detail::weight_prefix(ckpt);
  auto model = std::make_unique<Embedder<Cpu>>(std::move(c));
  // The tensors a LlamaForCausalLM of this config holds, renamed to this checkpoint's prefix;
  // the head of a causal LM is not needed.
  std::set<std::string> expected;
  for (const auto& e : io::llama_expected_tensors(model->config().model)) {
    if (e.name.rfind("model.", 0) != 0) continue;
    const std::string name = prefix + e.name.substr(6);
    expected.insert(name);
    DAPT_CHECK_AS(kConfig, ckpt.contains(name), ckpt.source(), ": tensor \"", name, "\" required by the config is missing");
    DAPT_CHECK_AS(kConfig, ckpt.info(name).shape == e.shape, ckpt.source(), ": tensor \"", name, "\" has shape ",
                  ckpt.info(name).shape.str(), " but the config implies ", e.shape.str());
  }
  for (const auto& name : ckpt.names()) {
    if (expected.count(name) || name == "lm_head.weight") continue;
    if (name.size() > 21 && name.compare(name.size() - 21, 21, ".rotary_emb.inv_freq") == 0) continue;
    DAPT_FAIL(ErrorCategory::kConfig, ckpt.source(), ": tensor \"", name, "\" is not part of a LLaMA model with this config");
  }
  model->visit_parameters([&](const std::string& name, nn::Param<Cpu>& p) {
    ckpt.to_f32(prefix + name).copy_to(p.value().view());
  });
  return model;
}

}  // namespace dapt::embed
