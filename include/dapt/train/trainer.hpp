/// @file trainer.hpp
/// @brief `Trainer<Method, Device, Model>`, the training loop of both ChipNeMo stages (DAPT on
/// packed text, SFT on masked chat samples): micro-batches with gradient accumulation (the loss
/// normalised by the scored tokens of the whole window), a learning-rate `Schedule`, AdamW with
/// optional gradient clipping, periodic validation loss, JSON Lines metrics (loss, lr, grad norm,
/// tokens/s, MFU, skipped steps), NaN/Inf steps skipped and counted (K in a row is a kNumeric
/// error), and crash-safe checkpoints (see checkpoint.hpp) that `resume` restores exactly: the
/// same seed, data and thread count give bit-identical losses whether or not the run was
/// interrupted.
///
/// The fine-tuning method is a policy type. It decides which parameters are trainable (`prepare`)
/// and what a checkpoint holds of the model (`save_model` / `load_model`): `Full` trains and saves
/// every parameter (Hugging Face layout for `nn::Llama<Cpu>`); a LoRA method freezes the base,
/// trains the adapters and saves them in peft's format. Everything else — the optimizer (which
/// skips frozen parameters), clipping, checkpoints of the optimizer state — works off the
/// parameter visitor and needs no per-method code.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/metrics.hpp"
#include "dapt/core/progress.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/io/detail/file_util.hpp"
#include "dapt/io/json.hpp"
#include "dapt/io/llama_checkpoint.hpp"
#include "dapt/io/lora_checkpoint.hpp"
#include "dapt/io/safetensors.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/nn/llama.hpp"
#include "dapt/nn/lora.hpp"
#include "dapt/train/checkpoint.hpp"
#include "dapt/train/data.hpp"
#include "dapt/train/optimizer.hpp"
#include "dapt/train/schedule.hpp"

namespace dapt::train {

// ---------------------------------------------------------------------------------------------
// Methods
// ---------------------------------------------------------------------------------------------

namespace detail {
/// Whether Model is nn::Llama on a device other than the CPU (saved and loaded through the host).
template <class Model>
struct is_device_llama : std::false_type {};
template <class Device>
struct is_device_llama<nn::Llama<Device>> : std::bool_constant<!std::is_same_v<Device, Cpu>> {};
template <class Model>
inline constexpr bool is_device_llama_v = is_device_llama<Model>::value;

/// Whether a model on `Device` takes its batch's ids in host memory (the contrastive model lays
/// the batch out on the host on every device); else the Trainer uploads them first.
template <class Model, class Device>
concept TakesHostIds = requires(Model& m, const TensorView<Cpu>& v, const nn::LossOptions& o) {
  m.forward_backward(v, v, o);
};
}  // namespace detail


/// Full fine-tuning: every parameter is trained, and a checkpoint holds the whole model. An
/// `nn::Llama<Cpu>` is saved with `io::save_llama` (config.json + model.safetensors, loadable by
/// transformers); any other model as `model.safetensors` of its visited parameters.
///
/// The method contract (what `Trainer` calls), for other methods such as LoRA:
/// - `static constexpr std::string_view kName`: recorded in and checked against checkpoints;
/// - `prepare(model)`: sets which parameters are trainable (called once by the constructor);
/// - `save_model(model, dir)`: writes what a checkpoint keeps of the model into `dir`;
/// - `load_model(model, dir)`: reads it back into a model built and prepared the same way.
struct Full {
  static constexpr std::string_view kName = "full";

  template <class Model>
  void prepare(Model& model) const {
    using D = detail::resolve_device_t<DeduceDevice, Model>;
    const nn::ParamVisitor<D> visit = [](const std::string&, nn::Param<D>& p) { p.set_trainable(true); };
    model.visit_parameters(visit);
  }

  template <class Model>
  void save_model(Model& model, const std::filesystem::path& dir) const {
    if constexpr (std::is_same_v<Model, nn::Llama<Cpu>>) {
      io::save_llama(model, dir);
    } else if constexpr (detail::is_device_llama_v<Model>) {
      // A GPU model is saved through a host copy (as much host memory as the model and its gradients).
      nn::Llama<Cpu> host(model.config());
      nn::copy_parameters<nn::model_device_t<Model>, Cpu>(model, host);
      io::save_llama(host, dir);
    } else {
      // Any other model: its visited parameters, through host copies when it lives on a device.
      using D = nn::model_device_t<Model>;
      std::vector<io::NamedTensor> tensors;
      std::vector<Tensor<Cpu>> host;  // the views in `tensors` point into their (heap) storage
      const nn::ParamVisitor<D> visit = [&](const std::string& name, nn::Param<D>& p) {
        if constexpr (std::is_same_v<D, Cpu>) {
          tensors.push_back({name, p.value().view()});
        } else {
          host.push_back(to_host(p.value().view()));
          tensors.push_back({name, host.back().view()});
        }
      };
      model.visit_parameters(visit);
      io::save_safetensors(dir / "model.safetensors", tensors, {{"format", "pt"}});
    }
  }

  template <class Model>
  void load_model(Model& model, const std::filesystem::path& dir) const {
    if constexpr (std::is_same_v<Model, nn::Llama<Cpu>>) {
      io::load_llama_weights(model, io::SafetensorsCheckpoint::open(dir));
    } else if constexpr (detail::is_device_llama_v<Model>) {
      nn::Llama<Cpu> host(model.config());
      io::load_llama_weights(host, io::SafetensorsCheckpoint::open(dir));
      nn::copy_parameters<Cpu, nn::model_device_t<Model>>(host, model);
    } else {
      using D = nn::model_device_t<Model>;
      const auto file = io::SafetensorsFile::open(dir / "model.safetensors");
      const nn::ParamVisitor<D> visit = [&](const std::string& name, nn::Param<D>& p) {
        DAPT_CHECK_AS(kFormat, file.contains(name), file.source(), ": parameter \"", name, "\" is missing");
        const Tensor<Cpu> t = file.to_f32(name);
        DAPT_CHECK_AS(kShape, t.shape() == p.value().shape(), file.source(), ": parameter \"", name, "\" has shape ",
                      t.shape().str(), ", the model has ", p.value().shape().str());
        if constexpr (std::is_same_v<D, Cpu>) {
          t.copy_to(p.value().view());
        } else {
          upload(t.view(), p.value().view());
          p.refresh_copy();
        }
      };
      model.visit_parameters(visit);
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Options and reports
// ---------------------------------------------------------------------------------------------

struct TrainerOptions {
  std::int64_t micro_batch = 1;   ///< rows per forward/backward
  std::int64_t grad_accum = 1;    ///< micro-batches per optimizer step
  std::int64_t max_steps = 0;     ///< optimizer steps of `fit` (counted from step 0, so a resumed run stops there too)
  /// Tokens per row; 0: the data's `seq_len()` (PackedDataset) or `options().max_len` (SftDataset).
  std::int64_t seq_len = 0;
  /// Pass the data's segment ids to the model (attention kept inside each packed document).
  bool use_segment_ids = true;
  /// Activation recomputation (`nn::Llama::set_recompute`): one hidden state kept per block, each
  /// block's forward re-run before its backward; far less activation memory for ~1/3 more compute,
  /// bitwise the same losses. A model without set_recompute is kUnsupported.
  bool recompute_activations = false;
  Schedule schedule;              ///< learning rate per step (AdamWOptions::lr is ignored)
  AdamWOptions adamw;             ///< betas, eps, weight decay; norms and biases exempt by default
  double clip = 1.0;              ///< max gradient norm; 0 = no clipping
  std::int64_t eval_every = 0;    ///< validation loss every N steps (0 = never)
  std::int64_t eval_batches = 0;  ///< micro-batches of validation rows per evaluation (0 = all rows)
  std::int64_t log_every = 1;     ///< a metrics line every N steps (skipped steps are always logged)
  std::int64_t checkpoint_every = 0;  ///< 0 = only at the end (when checkpoint_dir is set)
  std::filesystem::path checkpoint_dir;  ///< empty: no checkpoints
  std::int64_t keep_last = 0;     ///< complete checkpoints kept (0 = all)
  bool checkpoint_at_end = true;  ///< also save when `fit` ends (if checkpoint_dir is set)
  std::uint64_t seed = 0;         ///< the trainer's RNG (dropout and the like); saved and restored
  double peak_flops = 0;          ///< the hardware's peak FLOP/s for MFU; 0 = MFU not reported
  std::int64_t max_consecutive_skips = 5;  ///< this many non-finite steps in a row throw kNumeric (0 = never)
  bool progress = true;           ///< a progress bar (drawn only on a terminal, see core/progress.hpp)
  std::filesystem::path metrics_path;  ///< JSON Lines metrics, appended to (empty: none)
  /// `resume` refuses a checkpoint written with different training options (batch shape,
  /// schedule, optimizer, clipping, seed, method), naming the option; false accepts it.
  bool strict_resume = true;

  /// kInvalidArgument naming the option when one is out of range.
  void validate() const {
    DAPT_CHECK(micro_batch >= 1, "TrainerOptions: micro_batch must be >= 1, got ", micro_batch);
    DAPT_CHECK(grad_accum >= 1, "TrainerOptions: grad_accum must be >= 1, got ", grad_accum);
    DAPT_CHECK(max_steps >= 0, "TrainerOptions: max_steps must be >= 0, got ", max_steps);
    DAPT_CHECK(seq_len >= 0, "TrainerOptions: seq_len must be >= 0, got ", seq_len);
    DAPT_CHECK(std::isfinite(clip) && clip >= 0, "TrainerOptions: clip must be finite and >= 0, got ", clip);
    DAPT_CHECK(eval_every >= 0 && eval_batches >= 0, "TrainerOptions: eval_every and eval_batches must be >= 0, got ",
               eval_every, " and ", eval_batches);
    DAPT_CHECK(log_every >= 1, "TrainerOptions: log_every must be >= 1, got ", log_every);
    DAPT_CHECK(checkpoint_every >= 0, "TrainerOptions: checkpoint_every must be >= 0, got ", checkpoint_every);
    DAPT_CHECK(keep_last >= 0, "TrainerOptions: keep_last must be >= 0, got ", keep_last);
    DAPT_CHECK(std::isfinite(peak_flops) && peak_flops >= 0, "TrainerOptions: peak_flops must be finite and >= 0, got ",
               peak_flops);
    DAPT_CHECK(max_consecutive_skips >= 0, "TrainerOptions: max_consecutive_skips must be >= 0, got ",
               max_consecutive_skips);
    schedule.validate();
    ::dapt::train::validate(adamw);
  }
};

/// What one optimizer step did (passed to `on_step`, and logged).
struct StepInfo {
  std::int64_t step = 0;             ///< steps completed, this one included (1-based)
  double loss = 0;                   ///< mean loss over the window's scored tokens or examples (NaN when non-finite)
  double lr = 0;
  double grad_norm = 0;              ///< before clipping
  std::int64_t tokens = 0;           ///< scored tokens of the window (examples, for data that counts examples)
  std::int64_t tokens_processed = 0; ///< all token slots of the window (rows * seq_len, padding included)
  double step_seconds = 0;
  double tokens_per_s = 0;           ///< tokens_processed / step_seconds
  double mfu = 0;                    ///< 0 when peak_flops is 0
  bool skipped = false;              ///< non-finite loss or gradient norm: no update
  std::int64_t skipped_total = 0;
  std::int64_t consecutive_skips = 0;
};

/// One validation pass (passed to `on_eval`, and logged).
struct EvalInfo {
  std::int64_t step = 0;
  double val_loss = 0;               ///< mean over the scored validation tokens
  std::int64_t val_tokens = 0;
  std::int64_t val_rows = 0;
};

/// What `fit` did.
struct FitResult {
  std::int64_t steps = 0;            ///< the step count at the end (== max_steps unless stopped)
  std::int64_t steps_run = 0;        ///< steps run by this call
  std::int64_t skipped_total = 0;
  bool stopped_by_callback = false;
  double last_loss = 0;
  std::optional<double> last_val_loss;
  std::optional<std::filesystem::path> last_checkpoint;
};

namespace detail {

/// A data source as the trainer sees it: anything with `next_batch(ids, labels, segment_ids)`,
/// `state()` / `set_state(DataState)` and optionally `fill_validation(first, ids, labels, segs)`.
/// Data whose examples span several rows (a contrastive example: query, positive, negatives)
/// says so with `rows_per_example()`: the batches then hold micro_batch * rows_per_example rows.
/// Data may also say how many units (tokens, examples) a batch scores with
/// `count_scored(labels)`: the window's loss is the mean over them (default: tokens scored under
/// the Hugging Face shift).
struct TrainerData {
  std::function<void(const TensorView<Cpu>&, const TensorView<Cpu>&, const TensorView<Cpu>&)> next_batch;
  std::function<DataState()> state;
  std::function<void(const DataState&)> set_state;
  std::function<std::int64_t(std::int64_t, const TensorView<Cpu>&, const TensorView<Cpu>&, const TensorView<Cpu>&)>
      fill_validation;  // empty: no validation
  std::function<std::int64_t(const TensorView<Cpu>&)> count_scored;
  std::int64_t seq_len = 0;
  std::int64_t rows_per_example = 1;
};

template <class Data>
TrainerData make_trainer_data(Data& data, std::int64_t seq_len) {
  TrainerData d;
  d.next_batch = [&data](const TensorView<Cpu>& ids, const TensorView<Cpu>& labels, const TensorView<Cpu>& segs) {
    data.next_batch(ids, labels, segs);
  };
  d.state = [&data]() { return data.state(); };
  d.set_state = [&data](const DataState& s) { data.set_state(s); };
  if constexpr (requires(const Data& c, const TensorView<Cpu>& v) { c.fill_validation(std::int64_t{0}, v, v, v); }) {
    d.fill_validation = [&data](std::int64_t first, const TensorView<Cpu>& ids, const TensorView<Cpu>& labels,
                                const TensorView<Cpu>& segs) { return data.fill_validation(first, ids, labels, segs); };
  }
  if (seq_len == 0) {
    if constexpr (requires(const Data& c) { { c.seq_len() } -> std::convertible_to<std::int64_t>; }) {
      seq_len = data.seq_len();
    } else if constexpr (requires(const Data& c) { { c.options().max_len } -> std::convertible_to<std::int64_t>; }) {
      seq_len = data.options().max_len;
    }
  }
  DAPT_CHECK(seq_len > 0, "Trainer: TrainerOptions::seq_len is 0 and the data does not say its row length");
  d.seq_len = seq_len;
  if constexpr (requires(const Data& c) { { c.rows_per_example() } -> std::convertible_to<std::int64_t>; }) {
    d.rows_per_example = data.rows_per_example();
    DAPT_CHECK(d.rows_per_example >= 1, "Trainer: the data's rows_per_example must be >= 1, got ", d.rows_per_example);
  }
  if constexpr (requires(const Data& c, const TensorView<Cpu>& v) { { c.count_scored(v) } -> std::convertible_to<std::int64_t>; }) {
    d.count_scored = [&data](const TensorView<Cpu>& labels) { return data.count_scored(labels); };
  }
  return d;
}

/// Scored tokens of a (B, T) label tensor under the Hugging Face shift: position t is scored
/// against labels[t + 1], so column 0 never counts.
inline std::int64_t count_scored_tokens(const TensorView<Cpu>& labels) {
  const std::int64_t b = labels.dim(0), t = labels.dim(1);
  const auto* l = labels.data<const std::int32_t>();
  std::int64_t n = 0;
  for (std::int64_t i = 0; i < b; ++i)
    for (std::int64_t j = 1; j < t; ++j) n += l[i * t + j] >= 0;
  return n;
}

inline std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

inline const char* schedule_kind_name(ScheduleKind k) {
  switch (k) {
    case ScheduleKind::kConstant: return "constant";
    case ScheduleKind::kLinear: return "linear";
    case ScheduleKind::kCosine: return "cosine";
  }
  return "constant";
}

/// The non-negative integer `key` of `o`; kFormat naming `src` and the key otherwise.
inline std::uint64_t json_u64(const boost::json::object& o, std::string_view key, const std::string& src) {
  const boost::json::value* v = o.if_contains(key);
  DAPT_CHECK_AS(kFormat, v != nullptr, src, ": required field \"", key, "\" is missing");
  if (v->is_uint64()) return v->get_uint64();
  DAPT_CHECK_AS(kFormat, v->is_int64() && v->get_int64() >= 0, src, ": field \"", key,
                "\" must be a non-negative integer, got ", boost::json::serialize(*v));
  return static_cast<std::uint64_t>(v->get_int64());
}

/// Whether two JSON values agree (numbers by value, with a relative tolerance of 1e-12 for
/// floating point, so a parse that is not bit exact still matches).
inline bool json_same(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (!a.is_double() && !b.is_double()) {
      if (a.is_uint64() || b.is_uint64()) return a.to_number<std::uint64_t>() == b.to_number<std::uint64_t>();
      return a.to_number<std::int64_t>() == b.to_number<std::int64_t>();
    }
    const double x = a.to_number<double>(), y = b.to_number<double>();
    return x == y || std::abs(x - y) <= 1e-12 * std::max(std::abs(x), std::abs(y));
  }
  return a == b;
}

}  // namespace detail

/// LoRA: adapters on the layers `config` targets (attached by `prepare` unless the model already
/// has adapters, e.g. from io::load_lora to continue training one), the base frozen except
/// `config.modules_to_save`. A checkpoint holds the adapter in peft's format
/// (adapter_config.json + adapter_model.safetensors, loadable by PeftModel.from_pretrained) and
/// the adapters' dropout positions (lora_state.json), so a resumed run draws the same masks.
struct Lora {
  static constexpr std::string_view kName = "lora";
  static constexpr const char* kStateFile = "lora_state.json";

  nn::LoraConfig config;

  template <class Model>
  void prepare(Model& model) const {
    if (nn::count_lora_adapters(model) == 0) nn::apply_lora(model, config);
    else nn::set_lora_trainable(model, config);
    using D = nn::model_device_t<Model>;
    bool merged = false;
    nn::visit_lora_adapters<Model, D>(model, [&](const std::string&, nn::Linear<D>&, nn::LoraAdapter<D>& a) {
      merged = merged || a.merged();
    });
    DAPT_CHECK(!merged, "Trainer<Lora>: the model's adapters are merged; unmerge them (nn::unmerge_lora) to train");
  }

  /// Dropout on while training, off for evaluation.
  template <class Model>
  void set_training(Model& model, bool on) const {
    nn::set_lora_training(model, on);
  }

  template <class Model>
  void save_model(Model& model, const std::filesystem::path& dir) const {
    using D = nn::model_device_t<Model>;
    io::save_lora(model, dir, config);
    boost::json::array gens;
    nn::visit_lora_adapters<Model, D>(model, [&](const std::string& name, nn::Linear<D>&, nn::LoraAdapter<D>& a) {
      gens.push_back(boost::json::object{{"module", name}, {"generation", a.generation()}});
    });
    io::detail::write_file_atomic(dir / kStateFile,
                                  boost::json::serialize(boost::json::object{{"adapters", std::move(gens)}}) + "\n");
  }

  template <class Model>
  void load_model(Model& model, const std::filesystem::path& dir) const {
    const nn::LoraConfig saved = io::load_lora_config(dir);
    DAPT_CHECK_AS(kConfig, saved.r == config.r && saved.alpha == config.alpha && saved.use_rslora == config.use_rslora,
                  (dir / io::kAdapterConfigFile).string(), ": the checkpoint's adapter (r ", saved.r, ", alpha ", saved.alpha,
                  ") differs from this trainer's (r ", config.r, ", alpha ", config.alpha, ")");
    const std::string src = (dir / kStateFile).string();
    const boost::json::value root = io::read_json_file(dir / kStateFile, 16u << 20);
    const auto* adapters = io::as_object(root, src).if_contains("adapters");
    DAPT_CHECK_AS(kFormat, adapters && adapters->is_array(), src, ": required array \"adapters\" is missing");
    std::map<std::string, std::uint64_t> gens;
    for (const auto& v : adapters->get_array()) {
      const auto& o = io::as_object(v, src + ": adapters[]");
      const auto* m = o.if_contains("module");
      DAPT_CHECK_AS(kFormat, m && m->is_string(), src, ": an adapter entry has no \"module\" string");
      gens[std::string(m->get_string())] = detail::json_u64(o, "generation", src);
    }
    using D = nn::model_device_t<Model>;
    nn::visit_lora_adapters<Model, D>(model, [&](const std::string& name, nn::Linear<D>&, nn::LoraAdapter<D>&) {
      DAPT_CHECK_AS(kFormat, gens.count(name), src, ": no entry for adapter ", name);
    });
    io::load_lora_weights(model, dir, config);
    nn::visit_lora_adapters<Model, D>(model, [&](const std::string& name, nn::Linear<D>&, nn::LoraAdapter<D>& a) {
      a.set_generation(gens.at(name));
    });
  }
};

// ---------------------------------------------------------------------------------------------
// Trainer
// ---------------------------------------------------------------------------------------------

/// The training loop. Holds references to the model and the data (both must outlive it); the
/// constructor calls `Method::prepare(model)` and builds the optimizer.
///
/// One step: fill `grad_accum` micro-batches of `micro_batch` rows, count their scored tokens N,
/// run forward_backward on each with LossOptions::normalizer = N (so the accumulated gradient is
/// that of the mean loss over the window, however the tokens fall into micro-batches), take the
/// gradient norm, and either update (AdamW at schedule.at(step), gradients scaled by the clipping
/// coefficient) or, when the loss or the norm is NaN/Inf, skip: no update, gradients zeroed, the
/// skip counted and logged; `max_consecutive_skips` skips in a row throw kNumeric (checkpoints
/// already written are untouched). Then the step is logged, `on_step` runs, validation and
/// checkpoints happen on their cadence. A window without any scored token gives loss 0 and zero
/// gradients (the update is then weight decay only).
///
/// On a GPU (Device = Cuda, Model = nn::Llama<Cuda>, method Full or Lora) the data still fills host
/// batches; each micro-batch's ids are copied to the device, the loss is summed, the gradient
/// norm and the clipping factor are computed and the update is applied on the device, and the
/// step ends with one wait, to read the loss and the norm (three doubles). A step whose loss or
/// norm is not finite is skipped by the device itself (the factor is NaN), and the optimizer's
/// step counts are taken back when the host reads it. The CPU runs the same code on host memory.
template <class Method, class Device, class Model = nn::Llama<Device>>
class Trainer {
  static_assert(std::is_same_v<Device, Cpu> || detail::is_device_llama_v<Model> ||
                    detail::TakesHostIds<Model, Device>,
                "Trainer: on a GPU the model must be nn::Llama<Device> or take host ids "
                "(embed::BasicContrastiveModel<Device>)");
  static_assert(ParameterModel<Model, Device>, "Trainer: the model needs visit_parameters(const ParamVisitor<Device>&)");

 public:
  using StepCallback = std::function<bool(const StepInfo&)>;
  using EvalCallback = std::function<bool(const EvalInfo&)>;

  template <class Data>
  Trainer(Model& model, Data& data, TrainerOptions options, Method method = {})
      : model_(model),
        options_(std::move(options)),
        method_(std::move(method)),
        optimizer_((options_.validate(), options_.adamw)),
        rng_(options_.seed) {
    data_ = detail::make_trainer_data(data, options_.seq_len);
    method_.prepare(model_);
    if (options_.recompute_activations) {
      if constexpr (requires { model_.set_recompute(nn::RecomputeOptions{.enabled = true}); }) {
        model_.set_recompute(nn::RecomputeOptions{.enabled = true});
      } else {
        DAPT_FAIL(ErrorCategory::kUnsupported,
                  "Trainer: recompute_activations is set but the model has no set_recompute");
      }
    }
    if (!data_.count_scored) data_.count_scored = detail::count_scored_tokens;
    const std::int64_t b = options_.micro_batch * data_.rows_per_example, t = data_.seq_len;
    for (std::int64_t i = 0; i < options_.grad_accum; ++i) {
      ids_.push_back(Tensor<Cpu>::empty({b, t}, DType::kI32));
      labels_.push_back(Tensor<Cpu>::empty({b, t}, DType::kI32));
      segs_.push_back(Tensor<Cpu>::empty({b, t}, DType::kI32));
      if constexpr (!std::is_same_v<Device, Cpu> && !detail::TakesHostIds<Model, Device>)
        dev_ids_.push_back(Tensor<Device>::empty({b, t}, DType::kI32));
    }
    // [0] the window's loss sum, [1] the squared gradient norm, [2] the norm, [3] the float
    // clipping factor (in the first four bytes): memory of the device, read once per step.
    scalars_ = Tensor<Device>::zeros({4}, DType::kF64);
    flops_per_token_ = model_flops_per_token();
    if (!options_.metrics_path.empty()) metrics_ = std::make_unique<MetricsLogger>(options_.metrics_path, true);
  }

  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  /// Called after every step (skipped ones too); returning false stops `fit` after this step.
  void set_on_step(StepCallback fn) { on_step_ = std::move(fn); }
  /// Called after every evaluation; returning false stops `fit`.
  void set_on_eval(EvalCallback fn) { on_eval_ = std::move(fn); }

  const TrainerOptions& options() const noexcept { return options_; }
  const Method& method() const noexcept { return method_; }
  Model& model() noexcept { return model_; }
  AdamW<Device>& optimizer() noexcept { return optimizer_; }
  Rng& rng() noexcept { return rng_; }
  /// Optimizer steps taken (skipped ones included): the next step's schedule position.
  std::int64_t step() const noexcept { return step_; }
  std::int64_t skipped_total() const noexcept { return skipped_total_; }
  std::int64_t consecutive_skips() const noexcept { return consecutive_skips_; }
  std::int64_t tokens_seen() const noexcept { return tokens_seen_; }
  /// Model FLOPs per trained token, 6 N_trainable + 4 N_frozen + 12 L d T (parameters without the
  /// input embedding).
  double flops_per_token() const noexcept { return flops_per_token_; }

  /// Trains until `max_steps` steps are done or a callback returns false.
  FitResult fit() {
    FitResult res;
    std::optional<ProgressBar> bar;
    if (options_.progress && options_.max_steps > 0) {
      bar.emplace(options_.max_steps, "train", ProgressOptions("step"));
      bar->update(step_);
    }
    std::int64_t last_saved = -1;
    bool stop = false;
    while (step_ < options_.max_steps && !stop) {
      const StepInfo info = train_step();
      ++res.steps_run;
      if (!info.skipped) res.last_loss = info.loss;
      if (bar) bar->update(step_);
      if (metrics_ && (info.skipped || step_ % options_.log_every == 0)) log_step(info);
      if (on_step_ && !on_step_(info)) {
        stop = true;
        res.stopped_by_callback = true;
      }
      if (options_.eval_every > 0 && step_ % options_.eval_every == 0) {
        if (auto ev = evaluate()) {
          res.last_val_loss = ev->val_loss;
          if (on_eval_ && !on_eval_(*ev)) {
            stop = true;
            res.stopped_by_callback = true;
          }
        }
      }
      if (!options_.checkpoint_dir.empty() && options_.checkpoint_every > 0 && step_ % options_.checkpoint_every == 0) {
        res.last_checkpoint = save_checkpoint();
        last_saved = step_;
      }
    }
    if (!options_.checkpoint_dir.empty() && options_.checkpoint_at_end && last_saved != step_ && res.steps_run > 0)
      res.last_checkpoint = save_checkpoint();
    if (bar) bar->finish();
    res.steps = step_;
    res.skipped_total = skipped_total_;
    return res;
  }

  /// One optimizer step (the body of `fit`, without logging, callbacks, evaluation or
  /// checkpoints). Throws kNumeric after `max_consecutive_skips` non-finite steps in a row.
  StepInfo train_step() {
    const auto t0 = std::chrono::steady_clock::now();
    StepInfo info;
    info.lr = options_.schedule.at(step_);
    // The window's token count must be known before any backward: read all micro-batches first.
    std::int64_t window = 0;
    for (std::size_t i = 0; i < ids_.size(); ++i) {
      data_.next_batch(ids_[i].view(), labels_[i].view(), segs_[i].view());
      window += data_.count_scored(labels_[i].view());
    }
    info.tokens = window;
    info.tokens_processed = options_.micro_batch * data_.rows_per_example * options_.grad_accum * data_.seq_len;
    optimizer_.zero_grad(model_);
    double* const loss_sum = scalars_.template data<double>();
    double* const sum_sq = loss_sum + 1;
    double* const norm = loss_sum + 2;
    auto* const scale = reinterpret_cast<float*>(loss_sum + 3);
    nn::LossOptions lo;
    lo.normalizer = static_cast<double>(std::max<std::int64_t>(window, 1));
    double host_sum = 0;
    if constexpr (!std::is_same_v<Device, Cpu>) {
      DeviceAllocator<Device>::fill_zero(loss_sum, sizeof(double));
      lo.loss_sum = loss_sum;  // summed on the device, read with the norm at the end of the step
    }
    set_training(true);
    try {
      for (std::size_t i = 0; i < ids_.size(); ++i) {
        lo.segment_ids = options_.use_segment_ids ? TensorView<Cpu>(segs_[i].view()) : TensorView<Cpu>();
        if constexpr (std::is_same_v<Device, Cpu>) {
          host_sum += model_.forward_backward(ids_[i].view(), labels_[i].view(), lo).sum;
        } else if constexpr (detail::TakesHostIds<Model, Device>) {
          model_.forward_backward(ids_[i].view(), labels_[i].view(), lo);
        } else {
          upload(ids_[i].view(), dev_ids_[i].view());
          model_.forward_backward(dev_ids_[i].view(), labels_[i].view(), lo);
        }
      }
    } catch (...) {
      set_training(false);
      throw;
    }
    set_training(false);  // the model is in evaluation mode outside a step, even after an error
    if constexpr (std::is_same_v<Device, Cpu>) *loss_sum = host_sum;
    // The norm and the clipping factor on the device; a NaN/Inf loss or norm makes the factor NaN
    // and the update a no-op, so nothing here waits for the host.
    grads_.clear();
    const nn::ParamVisitor<Device> collect = [this](const std::string&, nn::Param<Device>& p) {
      if (detail::has_grad(p)) grads_.push_back({p.grad().template data<const float>(), p.numel()});
    };
    model_.visit_parameters(collect);
    ops::grad_norm_squared_multi<Device>(std::span<const backend::GradTensor>(grads_.data(), grads_.size()), sum_sq);
    const double max_norm = options_.clip > 0 ? options_.clip : std::numeric_limits<double>::infinity();
    ops::clip_scale<Device>(sum_sq, max_norm, scale, norm, loss_sum);
    optimizer_.step_scaled(model_, info.lr, scale);
    // The one wait of the step: the loss sum and the norm come back to the host.
    double host[3];
    DeviceAllocator<Device>::copy_to_host(host, loss_sum, sizeof(host));
    info.loss = window > 0 ? host[0] / static_cast<double>(window) : 0.0;
    info.grad_norm = host[2];
    ++step_;
    info.step = step_;
    if (!std::isfinite(info.loss) || !std::isfinite(info.grad_norm)) {
      optimizer_.undo_step();  // the device skipped the update; take back its step counts
      optimizer_.zero_grad(model_);
      info.skipped = true;
      ++skipped_total_;
      ++consecutive_skips_;
    } else {
      consecutive_skips_ = 0;
      tokens_seen_ += window;
    }
    info.skipped_total = skipped_total_;
    info.consecutive_skips = consecutive_skips_;
    info.step_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    info.tokens_per_s = info.step_seconds > 0 ? static_cast<double>(info.tokens_processed) / info.step_seconds : 0.0;
    info.mfu = options_.peak_flops > 0 ? info.tokens_per_s * flops_per_token_ / options_.peak_flops : 0.0;
    if (info.skipped && options_.max_consecutive_skips > 0 && consecutive_skips_ >= options_.max_consecutive_skips) {
      if (metrics_) log_step(info);
      const auto last = options_.checkpoint_dir.empty() ? std::nullopt : latest_checkpoint(options_.checkpoint_dir);
      DAPT_FAIL(ErrorCategory::kNumeric, "Trainer: ", consecutive_skips_, " consecutive steps (", step_ - consecutive_skips_ + 1,
                " to ", step_, ") had a non-finite loss or gradient norm (last: loss ", info.loss, ", grad_norm ",
                info.grad_norm, "); stopping. ",
                last ? "The last complete checkpoint is " + last->dir.string() : std::string("No checkpoint was written"));
    }
    return info;
  }

  /// The mean loss over the validation rows (up to eval_batches micro-batches), or nothing when
  /// the data has no validation rows. Logged as an "eval" line.
  std::optional<EvalInfo> evaluate() {
    if (!data_.fill_validation) return std::nullopt;
    const std::int64_t b = options_.micro_batch, t = data_.seq_len, rows = b * data_.rows_per_example;
    if (!eval_ids_.defined()) {
      eval_ids_ = Tensor<Cpu>::empty({rows, t}, DType::kI32);
      eval_labels_ = Tensor<Cpu>::empty({rows, t}, DType::kI32);
      eval_segs_ = Tensor<Cpu>::empty({rows, t}, DType::kI32);
    }
    EvalInfo ev;
    ev.step = step_;
    double sum = 0;
    for (std::int64_t k = 0; options_.eval_batches == 0 || k < options_.eval_batches; ++k) {
      const std::int64_t real = data_.fill_validation(k * b, eval_ids_.view(), eval_labels_.view(), eval_segs_.view());
      if (real <= 0) break;
      nn::LossOptions lo;
      if (options_.use_segment_ids) lo.segment_ids = eval_segs_.view();
      nn::LossResult r;
      if constexpr (std::is_same_v<Device, Cpu>) {
        r = model_.forward_loss(eval_ids_.view(), eval_labels_.view(), lo);
      } else if constexpr (detail::TakesHostIds<Model, Device>) {
        r = model_.forward_loss(eval_ids_.view(), eval_labels_.view(), lo);
      } else {
        if (!eval_dev_ids_.defined()) eval_dev_ids_ = Tensor<Device>::empty({rows, t}, DType::kI32);
        upload(eval_ids_.view(), eval_dev_ids_.view());
        r = model_.forward_loss(eval_dev_ids_.view(), eval_labels_.view(), lo);
      }
      sum += r.sum;
      ev.val_tokens += r.tokens;
      ev.val_rows += real;
      if (real < b) break;
    }
    if (ev.val_tokens == 0) return std::nullopt;
    ev.val_loss = sum / static_cast<double>(ev.val_tokens);
    if (metrics_)
      metrics_->log({{"type", "eval"}, {"step", ev.step}, {"val_loss", ev.val_loss}, {"val_tokens", ev.val_tokens}});
    return ev;
  }

  /// Saves a checkpoint of the current step under options().checkpoint_dir (see save_checkpoint(root)).
  std::filesystem::path save_checkpoint() {
    DAPT_CHECK(!options_.checkpoint_dir.empty(), "Trainer::save_checkpoint: TrainerOptions::checkpoint_dir is empty");
    return save_checkpoint(options_.checkpoint_dir);
  }

  /// Writes `<root>/step-NNNNNN/` atomically (model via the method, optimizer state,
  /// trainer_state.json), then prunes to the newest `keep_last`. Returns the directory.
  std::filesystem::path save_checkpoint(const std::filesystem::path& root) {
    CheckpointDirWriter w(root, step_);
    method_.save_model(model_, w.path());
    save_optimizer_state(optimizer_, w.path() / kOptimizerStateFile);
    io::detail::write_file_atomic(w.path() / kTrainerStateFile, boost::json::serialize(state_json()) + "\n");
    w.commit();
    prune_checkpoints(root, options_.keep_last);
    if (metrics_) metrics_->log({{"type", "checkpoint"}, {"step", step_}, {"path", w.final_path().string()}});
    return w.final_path();
  }

  /// Restores model, optimizer, data position, RNG, step and skip counters from `dir` (a
  /// checkpoint directory, or a root whose latest complete checkpoint is taken; temporary
  /// directories of interrupted saves are ignored). Returns the directory read. kConfig naming
  /// the option when the checkpoint was written with other training options (strict_resume),
  /// kFormat for a damaged trainer_state.json, the data's error for another data stream.
  std::filesystem::path resume(const std::filesystem::path& dir) {
    const std::filesystem::path ckpt = resolve_checkpoint(dir);
    const std::string src = (ckpt / kTrainerStateFile).string();
    const boost::json::value root = io::read_json_file(ckpt / kTrainerStateFile);
    const auto& obj = io::as_object(root, src, ErrorCategory::kFormat);
    io::JsonFields f(obj, src, ErrorCategory::kFormat);
    const std::string method = f.require_string("method");
    DAPT_CHECK_AS(kConfig, method == Method::kName, src, ": the checkpoint was written by method \"", method,
                  "\", this trainer uses \"", Method::kName, "\"");
    const auto* saved_opts = f.get_object("options");
    DAPT_CHECK_AS(kFormat, saved_opts != nullptr, src, ": required field \"options\" is missing");
    if (options_.strict_resume) {
      const boost::json::object now = options_json();
      for (const auto& [key, value] : now) {
        const auto* old = saved_opts->if_contains(key);
        DAPT_CHECK_AS(kConfig, old != nullptr && detail::json_same(*old, value), src,
                      ": the checkpoint was written with option ", std::string(key), " = ",
                      old ? boost::json::serialize(*old) : std::string("(absent)"), ", this trainer has ",
                      boost::json::serialize(value), " (set strict_resume = false to accept)");
      }
    }
    const std::int64_t step = f.require_int("step");
    const std::int64_t skipped = f.require_int("skipped_total");
    const std::int64_t consecutive = f.require_int("consecutive_skips");
    const std::int64_t tokens = f.require_int("tokens_seen");
    DAPT_CHECK_AS(kFormat, step >= 0 && skipped >= 0 && consecutive >= 0 && tokens >= 0, src,
                  ": step and counters must be non-negative");
    const auto* data = f.get_object("data");
    DAPT_CHECK_AS(kFormat, data != nullptr, src, ": required field \"data\" is missing");
    const DataState ds = data_state_from_json(*data, src + ": data");
    const auto* rng = f.get_object("rng");
    DAPT_CHECK_AS(kFormat, rng != nullptr, src, ": required field \"rng\" is missing");
    const RngState rs{detail::json_u64(*rng, "seed", src + ": rng"), detail::json_u64(*rng, "stream", src + ": rng"),
                      detail::json_u64(*rng, "counter", src + ": rng")};

    // Everything parsed: now load. The optimizer state goes into a fresh AdamW first, so a damaged
    // file leaves this trainer's optimizer as it was; the data checks its fingerprint itself. A
    // weights file that fails half way leaves the model partly loaded: rebuild it before retrying.
    AdamW<Device> opt(options_.adamw);
    load_optimizer_state(opt, ckpt / kOptimizerStateFile);
    data_.set_state(ds);
    method_.load_model(model_, ckpt);
    optimizer_ = std::move(opt);
    rng_ = Rng::from_state(rs);
    step_ = step;
    skipped_total_ = skipped;
    consecutive_skips_ = consecutive;
    tokens_seen_ = tokens;
    optimizer_.zero_grad(model_);
    return ckpt;
  }

  /// The options that shape the update, as recorded in checkpoints and compared on resume.
  boost::json::object options_json() const {
    boost::json::object o;
    o["method"] = std::string(Method::kName);
    o["micro_batch"] = options_.micro_batch;
    o["grad_accum"] = options_.grad_accum;
    o["seq_len"] = data_.seq_len;
    o["use_segment_ids"] = options_.use_segment_ids;
    o["schedule.kind"] = detail::schedule_kind_name(options_.schedule.kind);
    o["schedule.lr"] = options_.schedule.lr;
    o["schedule.min_lr"] = options_.schedule.min_lr;
    o["schedule.warmup_steps"] = options_.schedule.warmup_steps;
    o["schedule.total_steps"] = options_.schedule.total_steps;
    o["adamw.beta1"] = options_.adamw.beta1;
    o["adamw.beta2"] = options_.adamw.beta2;
    o["adamw.eps"] = options_.adamw.eps;
    o["adamw.weight_decay"] = options_.adamw.weight_decay;
    o["adamw.decay_norms_and_biases"] = options_.adamw.decay_norms_and_biases;
    o["clip"] = options_.clip;
    o["seed"] = options_.seed;
    return o;
  }

 private:
  boost::json::object state_json() const {
    boost::json::object s;
    s["format"] = "dapt.trainer_state/1";
    s["method"] = std::string(Method::kName);
    s["step"] = step_;
    s["lr_next"] = options_.schedule.at(step_);
    s["optimizer_step_count"] = optimizer_.step_count();
    s["skipped_total"] = skipped_total_;
    s["consecutive_skips"] = consecutive_skips_;
    s["tokens_seen"] = tokens_seen_;
    s["data"] = data_state_to_json(data_.state());
    const RngState r = rng_.state();
    s["rng"] = boost::json::object{{"seed", r.seed}, {"stream", r.stream}, {"counter", r.counter}};
    const boost::json::object o = options_json();
    s["options_fingerprint"] = detail::fnv1a(boost::json::serialize(o));
    s["options"] = o;
    return s;
  }

  void log_step(const StepInfo& i) {
    std::vector<MetricField> f{{"type", "train"},
                               {"step", i.step},
                               {"loss", i.loss},
                               {"lr", i.lr},
                               {"grad_norm", i.grad_norm},
                               {"tokens", i.tokens},
                               {"tokens_per_s", i.tokens_per_s},
                               {"skipped", i.skipped},
                               {"skipped_total", i.skipped_total}};
    if (options_.peak_flops > 0) f.push_back({"mfu", i.mfu});
    metrics_->log(std::span<const MetricField>(f.data(), f.size()));
  }

  void set_training(bool on) {
    if constexpr (requires(const Method& m, Model& model) { m.set_training(model, on); }) method_.set_training(model_, on);
  }

  /// 6 FLOPs per trainable parameter (forward, input and weight gradients), 4 per frozen one (no
  /// weight gradient), plus attention's 12 L d T.
  double model_flops_per_token() {
    std::int64_t n = 0, frozen = 0;
    bool tied = false;
    std::int64_t layers = 0, width = 0;
    if constexpr (requires(Model& m) { m.config().tie_word_embeddings; m.config().num_hidden_layers; m.config().hidden_size; }) {
      tied = model_.config().tie_word_embeddings;
      layers = model_.config().num_hidden_layers;
      width = model_.config().hidden_size;
    }
    const nn::ParamVisitor<Device> visit = [&](const std::string& name, nn::Param<Device>& p) {
      if (!tied && name == "model.embed_tokens.weight") return;
      (p.trainable() ? n : frozen) += p.numel();
    };
    model_.visit_parameters(visit);
    return 6.0 * static_cast<double>(n) + 4.0 * static_cast<double>(frozen) +
           12.0 * static_cast<double>(layers) * static_cast<double>(width) * static_cast<double>(data_.seq_len);
  }

  Model& model_;
  TrainerOptions options_;
  Method method_;
  AdamW<Device> optimizer_;
  Rng rng_;
  detail::TrainerData data_;
  std::vector<Tensor<Cpu>> ids_, labels_, segs_;  // one (B, T) each per micro-batch of the window
  std::vector<Tensor<Device>> dev_ids_;            // their ids on a GPU (unless the model takes host ids)
  Tensor<Cpu> eval_ids_, eval_labels_, eval_segs_;
  Tensor<Device> eval_dev_ids_;
  Tensor<Device> scalars_;                   // loss sum, squared norm, norm, clipping factor
  std::vector<backend::GradTensor> grads_;   // the gradients of the last step (reused)
  std::unique_ptr<MetricsLogger> metrics_;
  StepCallback on_step_;
  EvalCallback on_eval_;
  double flops_per_token_ = 0;
  std::int64_t step_ = 0;
  std::int64_t skipped_total_ = 0;
  std::int64_t consecutive_skips_ = 0;
  std::int64_t tokens_seen_ = 0;
};

}  // namespace dapt::train
