/// @file optimizer.hpp
/// @brief AdamW with torch.optim.AdamW's semantics, and gradient-norm clipping with
/// torch.nn.utils.clip_grad_norm_'s, for any model that exposes `visit_parameters(visitor)`.
/// Everything works off the parameter visitor and the Hugging Face names it reports: moment
/// buffers are keyed by name and allocated on a parameter's first step, frozen parameters (no
/// gradient) are skipped without any work and get no state, and norm weights and biases
/// (`Param::decay == false`) are exempt from weight decay unless the options say otherwise. After
/// the first step, a step allocates nothing.
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <span>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/layer.hpp"
#include "dapt/ops/optim.hpp"

namespace dapt::train {

/// A model (or layer) whose parameters a `ParamVisitor<Device>` can visit.
template <class Model, class Device>
concept ParameterModel = requires(Model& model, const nn::ParamVisitor<Device>& visit) {
  model.visit_parameters(visit);
};

/// The default template argument of the free functions below: deduce the device from the model.
struct DeduceDevice {};

namespace detail {

/// The device of `Model`: Cpu when its visit_parameters accepts a ParamVisitor<Cpu>, else Cuda.
template <class Device, class Model>
struct ResolveDevice {
  using type = Device;
};
template <class Model>
struct ResolveDevice<DeduceDevice, Model> {
  using type = std::conditional_t<ParameterModel<Model, Cpu>, Cpu,
                                  std::conditional_t<ParameterModel<Model, Cuda>, Cuda, void>>;
};

template <class Device, class Model>
using resolve_device_t = typename ResolveDevice<Device, Model>::type;

/// The gradient of `p`, when it has one (frozen parameters have none).
template <class Device>
bool has_grad(const nn::Param<Device>& p) noexcept {
  return p.trainable() && p.grad().defined();
}

}  // namespace detail

/// The L2 norm of all trainable gradients of `model`, as one flat vector: sqrt(sum g^2), with the
/// squares accumulated in double. Frozen parameters do not count. A NaN or Inf anywhere in the
/// gradients gives a non-finite result. The same for every thread count.
template <class Device = DeduceDevice, class Model>
double grad_norm(Model& model) {
  using D = detail::resolve_device_t<Device, Model>;
  static_assert(ParameterModel<Model, D>, "grad_norm: the model needs visit_parameters(const ParamVisitor<Device>&)");
  double total = 0.0;
  const nn::ParamVisitor<D> visit = [&total](const std::string&, nn::Param<D>& p) {
    if (detail::has_grad(p)) total += ops::sum_squares(p.grad().view());
  };
  model.visit_parameters(visit);
  return std::sqrt(total);
}

/// The factor clip_grad_norm multiplies gradients by: max_norm / (total_norm + 1e-6), clamped
/// to at most 1 (torch's clip_coef_clamped). Pass it as AdamW::step's `grad_scale` to clip inside
/// the update without writing the gradients. Requires a finite `total_norm`.
inline double clip_coefficient(double total_norm, double max_norm) {
  DAPT_CHECK(max_norm > 0.0, "clip_grad_norm: max_norm must be positive, got ", max_norm);
  DAPT_CHECK_AS(kNumeric, std::isfinite(total_norm), "clip_coefficient: the gradient norm is ", total_norm);
  const double coef = max_norm / (total_norm + 1e-6);
  return coef < 1.0 ? coef : 1.0;
}

/// torch.nn.utils.clip_grad_norm_: computes the total norm of the trainable gradients (see
/// grad_norm) and, when max_norm / (norm + 1e-6) < 1, multiplies every gradient by that factor.
/// Returns the norm *before* clipping.
///
/// A non-finite norm (NaN or Inf in some gradient) is returned as is and the gradients are left
/// untouched (torch would multiply them by NaN); the caller decides what to do, and the trainer
/// skips the step. `max_norm` must be positive (+Inf never clips); otherwise kInvalidArgument.
template <class Device = DeduceDevice, class Model>
double clip_grad_norm(Model& model, double max_norm) {
  using D = detail::resolve_device_t<Device, Model>;
  DAPT_CHECK(max_norm > 0.0, "clip_grad_norm: max_norm must be positive, got ", max_norm);
  const double norm = grad_norm<D>(model);
  if (!std::isfinite(norm)) return norm;
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    const auto s = static_cast<float>(coef);
    const nn::ParamVisitor<D> visit = [s](const std::string&, nn::Param<D>& p) {
      if (detail::has_grad(p)) ops::scale(p.grad().view(), s);
    };
    model.visit_parameters(visit);
  }
  return norm;
}

/// Sets every trainable gradient of `model` to zero (frozen parameters have none).
template <class Device = DeduceDevice, class Model>
void zero_grad(Model& model) {
  using D = detail::resolve_device_t<Device, Model>;
  static_assert(ParameterModel<Model, D>, "zero_grad: the model needs visit_parameters(const ParamVisitor<Device>&)");
  const nn::ParamVisitor<D> visit = [](const std::string&, nn::Param<D>& p) {
    if (detail::has_grad(p)) p.zero_grad();
  };
  model.visit_parameters(visit);
}

/// The hyper-parameters of AdamW; the defaults are torch.optim.AdamW's.
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01;
  /// false (the default): parameters with `Param::decay == false` (norm weights, biases) get no
  /// weight decay. true: every parameter decays, as plain torch.optim.AdamW over all parameters
  /// does (the Hugging Face parity fixtures use this mode).
  bool decay_norms_and_biases = false;
};

/// Throws kInvalidArgument, naming the option, unless lr >= 0, 0 <= beta1, beta2 < 1, eps > 0 and
/// weight_decay >= 0 (all finite).
inline void validate(const AdamWOptions& o) {
  DAPT_CHECK(std::isfinite(o.lr) && o.lr >= 0.0, "AdamW: lr must be finite and >= 0, got ", o.lr);
  DAPT_CHECK(o.beta1 >= 0.0 && o.beta1 < 1.0, "AdamW: beta1 must be in [0, 1), got ", o.beta1);
  DAPT_CHECK(o.beta2 >= 0.0 && o.beta2 < 1.0, "AdamW: beta2 must be in [0, 1), got ", o.beta2);
  DAPT_CHECK(std::isfinite(o.eps) && o.eps > 0.0, "AdamW: eps must be finite and > 0, got ", o.eps);
  DAPT_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0,
             "AdamW: weight_decay must be finite and >= 0, got ", o.weight_decay);
}

/// AdamW (Loshchilov & Hutter) with decoupled weight decay, step for step torch.optim.AdamW
/// (amsgrad off, maximize off):
///   param *= 1 - lr * wd;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
///   param -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
/// with t the parameter's own step count from 1 (torch's state['step']). Scalar factors are
/// computed in double, per-element math in float, as torch does on float32 tensors.
///
/// State (m, v, t) is kept per Hugging Face name and allocated on a parameter's first step;
/// frozen parameters are skipped and get none. A parameter whose value no longer has the shape
/// of its state (vocabulary resizing) makes `step` throw kShape naming it until
/// `reset_state(name)` is called (its t restarts at 1, as for a new torch parameter). A trainable
/// parameter takes part in every step, even when its gradient is all zeros (torch skips only
/// parameters whose grad is None). Non-finite gradients are not checked here: they propagate into
/// the parameters, so check `grad_norm` first (the trainer skips such steps).
template <class Device>
class AdamW {
 public:
  explicit AdamW(AdamWOptions options = {}) : options_(options) { validate(options_); }
  // Copies would share the moment buffers (Tensor copies share storage): moves only.
  AdamW(const AdamW&) = delete;
  AdamW& operator=(const AdamW&) = delete;
  AdamW(AdamW&&) = default;
  AdamW& operator=(AdamW&&) = default;

  const AdamWOptions& options() const noexcept { return options_; }
  /// Sets the learning rate of later steps (a scheduler may instead pass `lr_override`).
  void set_lr(double lr) {
    AdamWOptions o = options_;
    o.lr = lr;
    validate(o);
    options_ = o;
  }

  /// The number of `step` calls so far (or the value given to set_step_count).
  std::int64_t step_count() const noexcept { return step_count_; }
  /// Restores the step count from a checkpoint; per-parameter counts come with `set_state`.
  void set_step_count(std::int64_t n) {
    DAPT_CHECK(n >= 0, "AdamW: step count must be >= 0, got ", n);
    step_count_ = n;
    can_undo_ = false;
  }

  /// One update of every trainable parameter of `model` from its gradient.
  ///
  /// `lr_override` >= 0 replaces options().lr for this step only (a negative value means "use the
  /// options"); `grad_scale` multiplies each gradient as it is read (a clipping coefficient, see
  /// clip_coefficient) and must be finite and >= 0. All parameters are checked before any is
  /// updated, so a shape or dtype error leaves the model and the state unchanged. One
  /// multi-tensor update (ops::adamw_multi) covers every parameter.
  template <class Model>
  void step(Model& model, double lr_override = -1.0, double grad_scale = 1.0) {
    DAPT_CHECK(std::isfinite(grad_scale) && grad_scale >= 0.0, "AdamW::step: grad_scale must be finite and >= 0, got ",
               grad_scale);
    run_step(model, lr_override, grad_scale, nullptr);
  }

  /// The same update with the gradient scale read from `*grad_scale`, memory of `Device` (the
  /// factor ops::clip_scale wrote there), so a GPU step never waits for the host. A non-finite
  /// factor makes the update a no-op on the device; the host cannot see that, so it counts the
  /// step as taken: call `undo_step()` once it learns that the step was skipped.
  template <class Model>
  void step_scaled(Model& model, double lr_override, const float* grad_scale) {
    DAPT_CHECK(grad_scale != nullptr, "AdamW::step_scaled: the grad_scale pointer is null");
    run_step(model, lr_override, 1.0, grad_scale);
  }

  /// Takes back the step counts of the last step (the global one and each parameter's), after the
  /// device skipped its update (see step_scaled). Moments and parameters are untouched by a skipped
  /// update, so the state is then exactly as before that step. Only the last step can be undone.
  void undo_step() {
    DAPT_CHECK(can_undo_, "AdamW::undo_step: there is no step to undo (only the last one can be)");
    for (State* st : stepped_) --st->step;
    --step_count_;
    can_undo_ = false;
  }

  /// Sets every trainable gradient of `model` to zero.
  template <class Model>
  void zero_grad(Model& model) {
    train::zero_grad<Device>(model);
  }

  /// Calls `fn(name, m, v)` (TensorView<Device>s of the parameter's shape) or, when `fn` accepts a
  /// fourth argument, `fn(name, m, v, t)` with the parameter's step count, for every parameter
  /// with state, in name order. The views may be written (checkpoint loading into existing state).
  template <class Fn>
  void visit_state(Fn&& fn) const {
    for (const auto& [name, s] : states_) {
      if constexpr (std::is_invocable_v<Fn&, const std::string&, const TensorView<Device>&, const TensorView<Device>&,
                                        std::int64_t>) {
        fn(name, s.m.view(), s.v.view(), s.step);
      } else {
        fn(name, s.m.view(), s.v.view());
      }
    }
  }

  /// Installs the state of parameter `name` (checkpoint loading): moments `m` and `v` (F32,
  /// contiguous, one shape; the tensors are shared, not copied) after `step` >= 0 updates. The
  /// shape is checked against the parameter at the next `step`.
  void set_state(const std::string& name, Tensor<Device> m, Tensor<Device> v, std::int64_t step) {
    DAPT_CHECK(m.defined() && v.defined(), "AdamW::set_state: moments of '", name, "' are undefined");
    DAPT_CHECK_AS(kDtype, m.dtype() == DType::kF32 && v.dtype() == DType::kF32, "AdamW::set_state: moments of '",
                  name, "' must be F32, got ", dtype_name(m.dtype()), " and ", dtype_name(v.dtype()));
    DAPT_CHECK_AS(kShape, m.shape() == v.shape() && m.is_contiguous() && v.is_contiguous(),
                  "AdamW::set_state: moments of '", name, "' must be contiguous and of one shape, got ",
                  m.shape().str(), " and ", v.shape().str());
    DAPT_CHECK(step >= 0, "AdamW::set_state: step of '", name, "' must be >= 0, got ", step);
    can_undo_ = false;
    State& s = states_[name];
    s.m = std::move(m);
    s.v = std::move(v);
    s.step = step;
    s.last_check = 0;
    s.last_call = 0;
  }

  /// Whether parameter `name` has state (it has been stepped or given state).
  bool has_state(const std::string& name) const { return states_.find(name) != states_.end(); }
  /// The step count t of parameter `name`; kOutOfRange when it has no state.
  std::int64_t state_step(const std::string& name) const {
    auto it = states_.find(name);
    DAPT_CHECK_AS(kOutOfRange, it != states_.end(), "AdamW: no optimizer state for parameter '", name, "'");
    return it->second.step;
  }
  /// The number of parameters with state.
  std::size_t state_size() const noexcept { return states_.size(); }

  /// Drops the state of parameter `name` (after resizing it); its next step is its first.
  void reset_state(const std::string& name) {
    states_.erase(name);
    can_undo_ = false;
  }
  /// Drops all state; the step count is kept.
  void reset_state() {
    states_.clear();
    can_undo_ = false;
  }

 private:
  struct State {
    Tensor<Device> m;  // first moment, the parameter's shape
    Tensor<Device> v;  // second moment
    std::int64_t step = 0;
    // The `calls_` values of the last check and update, to catch a name visited twice.
    std::int64_t last_check = 0;
    std::int64_t last_call = 0;
  };

  struct StepContext {
    double lr = 0.0;
    std::int64_t call = 0;
  };

  void check_param(const std::string& name, nn::Param<Device>& p, const StepContext& ctx) {
    if (!detail::has_grad(p)) return;
    const Tensor<Device>& value = p.value();
    DAPT_CHECK_AS(kDtype, value.dtype() == DType::kF32, "AdamW: parameter '", name, "' must be F32, got ",
                  dtype_name(value.dtype()));
    DAPT_CHECK_AS(kShape, value.is_contiguous() && p.grad().is_contiguous() && p.grad().shape() == value.shape(),
                  "AdamW: parameter '", name, "' of shape ", value.shape().str(), " has a gradient of shape ",
                  p.grad().shape().str(), " (both must be contiguous and of one shape)");
    auto it = states_.find(name);
    if (it != states_.end()) {
      DAPT_CHECK_AS(kShape, it->second.m.shape() == value.shape(), "AdamW: parameter '", name, "' has shape ",
                    value.shape().str(), " but its optimizer state has shape ", it->second.m.shape().str(),
                    "; call reset_state(\"", name, "\") after resizing it");
      DAPT_CHECK(it->second.last_check != ctx.call, "AdamW::step: the model visits parameter '", name,
                 "' twice; parameter names must be unique");
      it->second.last_check = ctx.call;
    }
  }

  template <class Model>
  void run_step(Model& model, double lr_override, double grad_scale, const float* grad_scale_ptr) {
    static_assert(ParameterModel<Model, Device>, "AdamW::step: the model needs visit_parameters(const ParamVisitor<Device>&)");
    DAPT_CHECK(!std::isnan(lr_override) && !std::isinf(lr_override), "AdamW::step: lr_override must be finite, got ",
               lr_override);
    StepContext ctx;
    ctx.lr = lr_override >= 0.0 ? lr_override : options_.lr;
    ctx.call = ++calls_;

    // Pass 1 checks, pass 2 gathers the tensors: a bad parameter must not leave half the model
    // stepped. The visitors capture two pointers, which std::function stores without allocating;
    // the lists are members, so after the first step nothing is allocated.
    const nn::ParamVisitor<Device> check = [this, &ctx](const std::string& name, nn::Param<Device>& p) {
      check_param(name, p, ctx);
    };
    model.visit_parameters(check);
    batch_.clear();
    stepped_.clear();
    const nn::ParamVisitor<Device> gather = [this, &ctx](const std::string& name, nn::Param<Device>& p) {
      gather_param(name, p, ctx);
    };
    model.visit_parameters(gather);
    backend::AdamwHyper h;
    h.lr = ctx.lr;
    h.beta1 = options_.beta1;
    h.beta2 = options_.beta2;
    h.eps = options_.eps;
    h.grad_scale = grad_scale;
    ops::adamw_multi<Device>(std::span<const backend::AdamwTensor>(batch_.data(), batch_.size()), h, grad_scale_ptr);
    ++step_count_;
    can_undo_ = true;
  }

  void gather_param(const std::string& name, nn::Param<Device>& p, const StepContext& ctx) {
    if (!detail::has_grad(p)) return;
    auto it = states_.find(name);
    if (it == states_.end()) {
      State s;
      s.m = Tensor<Device>::empty(p.value().shape(), DType::kF32);
      s.v = Tensor<Device>::empty(p.value().shape(), DType::kF32);
      DeviceAllocator<Device>::fill_zero(s.m.raw(), s.m.nbytes());
      DeviceAllocator<Device>::fill_zero(s.v.raw(), s.v.nbytes());
      it = states_.emplace(name, std::move(s)).first;
    }
    State& s = it->second;
    DAPT_CHECK(s.last_call != ctx.call, "AdamW::step: the model visits parameter '", name,
               "' twice; parameter names must be unique");
    s.last_call = ctx.call;
    ++s.step;
    const double t = static_cast<double>(s.step);
    backend::AdamwTensor a;
    a.master = p.value().template data<float>();
    a.grad = p.grad().template data<const float>();
    a.m = s.m.template data<float>();
    a.v = s.v.template data<float>();
    if (p.copy().defined()) a.copy = p.copy().template data<bf16>();  // mixed precision: the update writes it
    a.n = p.value().numel();
    a.weight_decay = (p.decay || options_.decay_norms_and_biases) ? options_.weight_decay : 0.0;
    a.bias_correction1 = 1.0 - std::pow(options_.beta1, t);
    a.bias_correction2 = 1.0 - std::pow(options_.beta2, t);
    batch_.push_back(a);
    stepped_.push_back(&s);
  }

  AdamWOptions options_;
  std::int64_t step_count_ = 0;
  std::int64_t calls_ = 0;  // step calls ever made by this object (not saved; see State::last_call)
  std::map<std::string, State> states_;
  std::vector<backend::AdamwTensor> batch_;  // the tensors of the last step (reused)
  std::vector<State*> stepped_;              // their states, for undo_step
  bool can_undo_ = false;
};

}  // namespace dapt::train
