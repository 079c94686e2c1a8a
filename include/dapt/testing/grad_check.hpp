/// @file grad_check.hpp
/// @brief The SDK's numerical gradient checker, after dlib's `test_layer`: every layer's test runs
/// it. For a layer on the CPU it compares the analytic gradients of the scalar loss
/// sum(forward(x) * R), for a fixed random R, with central differences, on randomly chosen
/// elements of the input and of every trainable parameter; and it checks the gradient contract of
/// dapt/nn/layer.hpp: `backward` *writes* dx (twice gives the same dx, not double) and *adds* into
/// parameter gradients (twice gives double). Errors are relative, |a - n| / max(|a| + |n|, floor),
/// where the floor covers the float rounding of the forward pass, estimated for each difference,
/// so fp32 layers pass reliably while a gradient that is off by a factor, misses a term or uses a
/// transposed weight fails. The result carries a report naming every checked tensor.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "dapt/core/error.hpp"
#include "dapt/core/rng.hpp"
#include "dapt/core/tensor.hpp"
#include "dapt/nn/layer.hpp"

namespace dapt::testing {

/// How `grad_check` probes a layer.
struct GradCheckOptions {
  /// Central-difference step, absolute. 1e-2 balances fp32 rounding noise (which grows as 1/eps)
  /// against truncation error (eps^2 times the third derivative) for activations of order one.
  double eps = 1e-2;
  /// Largest accepted relative error |a - n| / max(|a| + |n|, floor); also the tolerance of the
  /// contract checks. A factor-2 error scores 1/3, a sign error 1.
  double tolerance = 1e-2;
  /// Absolute floor of |a| + |n|, so gradients that are zero analytically do not divide by ~0.
  /// Each element's floor is raised further to noise / tolerance, where `noise` bounds the fp32
  /// rounding of the two loss evaluations (see `noise_ulps`).
  double floor = 1e-4;
  /// Rounding allowance, in float ulps (2^-24 relative) of each output that a perturbation
  /// changed: noise = noise_ulps * 2^-24 * sum |y_i R_i| over those outputs, at +eps and -eps,
  /// divided by the step. Raise it for layers with long reductions or heavy cancellation.
  double noise_ulps = 8;
  /// Elements checked per tensor (all of them when the tensor is smaller), chosen at random.
  int max_checks_per_tensor = 64;
  /// Seed of the projection R and of the element choice.
  std::uint64_t seed = 1;
  /// false for layers whose input is not differentiable (token ids into an embedding): the input
  /// is neither perturbed nor expected to get a gradient, and it may have any dtype.
  bool check_input = true;
};

/// What `grad_check` found.
struct GradCheckResult {
  /// Every check passed (each error <= tolerance, none NaN).
  bool ok = true;
  /// The largest error of any check (numerical comparison or contract); +Inf for a NaN.
  double worst_relative_error = 0.0;
  /// The tensor or contract of that error: "input", a parameter's name, "input (backward writes
  /// dx)", "<name> (backward adds into the gradient)" or "forward is repeatable".
  std::string worst_name;
  /// One line per check: tensor, elements checked, worst error and where; print it on failure.
  std::string report;

  explicit operator bool() const noexcept { return ok; }
};

namespace detail {

/// Copies any (possibly strided) F32 view to a flat vector.
inline std::vector<float> to_vector(const TensorView<Cpu>& t, const char* what) {
  DAPT_CHECK_AS(kDtype, t.dtype() == DType::kF32, "grad_check: ", what, " must be F32, got ", dtype_name(t.dtype()));
  std::vector<float> out(static_cast<std::size_t>(t.numel()));
  if (!out.empty()) Tensor<Cpu>::copy_view(t, TensorView<Cpu>(out.data(), DType::kF32, t.shape()));
  return out;
}

/// The largest |x|, or 0.
inline double max_abs(const std::vector<float>& x) {
  double m = 0.0;
  for (float v : x) m = std::max(m, std::abs(static_cast<double>(v)));
  return m;
}

/// An error that compares as larger than any finite error when it is NaN.
inline double sanitize_error(double e) { return std::isnan(e) ? std::numeric_limits<double>::infinity() : e; }

/// Records one check in `result` and its report.
inline void record(GradCheckResult& result, double tolerance, const std::string& name, double error,
                   const std::string& detail) {
  error = sanitize_error(error);
  const bool pass = error <= tolerance;
  if (!pass) result.ok = false;
  if (result.worst_name.empty() || error > result.worst_relative_error) {
    result.worst_relative_error = error;
    result.worst_name = name;
  }
  std::ostringstream os;
  os << (pass ? "  ok    " : "  FAIL  ") << name << ": " << detail << "\n";
  result.report += os.str();
}

inline std::string fmt(double x) {
  std::ostringstream os;
  os << std::setprecision(4) << x;
  return os.str();
}

/// Up to `k` distinct indices in [0, n), sorted; all of them when n <= k.
inline std::vector<std::int64_t> pick_indices(std::int64_t n, std::int64_t k, Rng rng) {
  std::vector<std::int64_t> out;
  if (n <= k) {
    for (std::int64_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  std::set<std::int64_t> chosen;
  while (static_cast<std::int64_t>(chosen.size()) < k)
    chosen.insert(static_cast<std::int64_t>(rng.uniform_int(static_cast<std::uint64_t>(n))));
  return {chosen.begin(), chosen.end()};
}

/// One loss evaluation: L = sum y R in double, and the mass sum |y_i R_i| of the outputs that
/// differ from the unperturbed ones (what rounding noise scales with).
struct LossEval {
  double loss = 0.0;
  double changed_mass = 0.0;
};

}  // namespace detail

/// Checks the gradients of `layer` at input `x` numerically and checks its gradient contract.
///
/// Steps: draw R ~ N(0, 1) of the output's shape from Rng(seed); zero the parameter gradients,
/// run forward(x) and backward(R) for the analytic dx and parameter gradients; run forward and
/// backward(R) again and require dx unchanged (backward writes dx) and the parameter gradients
/// doubled (backward adds); then, for up to `max_checks_per_tensor` random elements of the input
/// (when `check_input`) and of each trainable parameter, perturb the element in place by +-eps,
/// evaluate L = sum(forward(x) * R) in double, restore the element exactly, and compare
/// (L+ - L-) / (x+ - x-) with the analytic value. Finally the unperturbed loss is evaluated again
/// and must be unchanged (a forward that is not repeatable makes every difference meaningless).
/// Frozen parameters (no gradient) are listed as skipped.
///
/// `x` is copied, never modified; the layer's parameter values are restored bit for bit and its
/// gradients are left zeroed. Each R handed to backward is a fresh copy, so a backward that
/// overwrites dy does no harm. The forward pass must be deterministic (no dropout).
/// Throws kInvalidArgument for bad options, kDtype when the output, dx or a parameter is not F32
/// (or x is not F32 while `check_input`), and kShape when dx or a gradient has the wrong shape.
template <class L>
  requires nn::Layer<L, Cpu>
GradCheckResult grad_check(L& layer, const Tensor<Cpu>& x, const GradCheckOptions& options = {}) {
  const GradCheckOptions& o = options;
  DAPT_CHECK(std::isfinite(o.eps) && o.eps > 0.0, "grad_check: eps must be finite and > 0, got ", o.eps);
  DAPT_CHECK(std::isfinite(o.tolerance) && o.tolerance > 0.0, "grad_check: tolerance must be finite and > 0, got ",
             o.tolerance);
  DAPT_CHECK(std::isfinite(o.floor) && o.floor > 0.0, "grad_check: floor must be finite and > 0, got ", o.floor);
  DAPT_CHECK(std::isfinite(o.noise_ulps) && o.noise_ulps >= 0.0, "grad_check: noise_ulps must be finite and >= 0, got ",
             o.noise_ulps);
  DAPT_CHECK(o.max_checks_per_tensor >= 0, "grad_check: max_checks_per_tensor must be >= 0, got ",
             o.max_checks_per_tensor);
  DAPT_CHECK(x.defined(), "grad_check: the input is undefined");
  if (o.check_input)
    DAPT_CHECK_AS(kDtype, x.dtype() == DType::kF32, "grad_check: input must be F32 when check_input is set, got ",
                  dtype_name(x.dtype()), " (set check_input = false for token ids)");

  GradCheckResult result;
  const Tensor<Cpu> xw = x.clone();  // the working copy that is perturbed

  // The trainable parameters, by name; frozen ones are only reported.
  std::vector<std::pair<std::string, nn::Param<Cpu>*>> params;
  std::vector<std::string> frozen;
  const nn::ParamVisitor<Cpu> collect = [&params, &frozen](const std::string& name, nn::Param<Cpu>& p) {
    if (p.trainable() && p.grad().defined()) {
      params.emplace_back(name, &p);
    } else {
      frozen.push_back(name);
    }
  };
  layer.visit_parameters(collect);
  for (auto& [name, p] : params) {
    DAPT_CHECK_AS(kDtype, p->value().dtype() == DType::kF32 && p->grad().dtype() == DType::kF32,
                  "grad_check: parameter '", name, "' and its gradient must be F32");
    DAPT_CHECK_AS(kShape, p->value().is_contiguous() && p->grad().shape() == p->value().shape(),
                  "grad_check: parameter '", name, "' of shape ", p->value().shape().str(),
                  " must be contiguous and have a gradient of its shape, got ", p->grad().shape().str());
  }

  // The unperturbed output and the projection R.
  for (auto& [name, p] : params) p->zero_grad();
  const TensorView<Cpu> y_view = layer.forward(xw.view());
  const Shape y_shape = y_view.shape();
  const std::vector<float> y0 = detail::to_vector(y_view, "the layer's output");
  std::vector<float> r(y0.size());
  {
    Rng rng(o.seed);
    for (float& v : r) v = rng.normal();
  }
  Tensor<Cpu> dy = Tensor<Cpu>::empty(y_shape, DType::kF32);
  const auto fresh_dy = [&]() -> TensorView<Cpu> {
    if (!r.empty()) std::copy(r.begin(), r.end(), dy.data<float>());
    return dy.view();
  };

  const auto evaluate = [&]() {
    const TensorView<Cpu> y = layer.forward(xw.view());
    DAPT_CHECK_AS(kShape, y.shape() == y_shape, "grad_check: the output changed shape from ", y_shape.str(), " to ",
                  y.shape().str(), " between calls");
    const std::vector<float> yv = detail::to_vector(y, "the layer's output");
    detail::LossEval e;
    for (std::size_t i = 0; i < yv.size(); ++i) {
      const double t = static_cast<double>(yv[i]) * static_cast<double>(r[i]);
      e.loss += t;
      if (yv[i] != y0[i]) e.changed_mass += std::abs(t);
    }
    return e;
  };

  // Analytic gradients: the first backward.
  const auto grab_dx = [&](const TensorView<Cpu>& dx) {
    DAPT_CHECK_AS(kShape, dx.shape() == xw.shape(), "grad_check: backward returned dx of shape ", dx.shape().str(),
                  " for an input of shape ", xw.shape().str());
    return detail::to_vector(dx, "dx");
  };
  std::vector<float> dx1;
  {
    const TensorView<Cpu> dx = layer.backward(fresh_dy());
    if (o.check_input) dx1 = grab_dx(dx);
  }
  std::vector<std::vector<float>> g1;
  for (auto& [name, p] : params) g1.push_back(detail::to_vector(p->grad().view(), "a gradient"));

  // The contract: a second forward + backward writes the same dx and doubles the gradients.
  (void)layer.forward(xw.view());
  {
    const TensorView<Cpu> dx = layer.backward(fresh_dy());
    if (o.check_input) {
      const std::vector<float> dx2 = grab_dx(dx);
      double diff = 0.0;
      for (std::size_t i = 0; i < dx1.size(); ++i)
        diff = std::max(diff, std::abs(static_cast<double>(dx2[i]) - static_cast<double>(dx1[i])));
      const double scale = detail::max_abs(dx1);
      const double err = diff == 0.0 ? 0.0 : diff / std::max(scale, std::numeric_limits<double>::min());
      detail::record(result, o.tolerance, "input (backward writes dx)", err,
                     "max |dx(2nd) - dx(1st)| = " + detail::fmt(diff) + " for max |dx| = " + detail::fmt(scale) +
                         (scale == 0.0 ? " (dx is all zero: the contract is not tested)" : ""));
    }
  }
  for (std::size_t k = 0; k < params.size(); ++k) {
    const std::vector<float> g2 = detail::to_vector(params[k].second->grad().view(), "a gradient");
    double diff = 0.0;
    for (std::size_t i = 0; i < g2.size(); ++i)
      diff = std::max(diff, std::abs(static_cast<double>(g2[i]) - 2.0 * static_cast<double>(g1[k][i])));
    const double scale = 2.0 * detail::max_abs(g1[k]);
    const double err = diff == 0.0 ? 0.0 : diff / std::max(scale, std::numeric_limits<double>::min());
    detail::record(result, o.tolerance, params[k].first + " (backward adds into the gradient)", err,
                   "max |g(2 backwards) - 2 g(1)| = " + detail::fmt(diff) + " for max |2 g(1)| = " +
                       detail::fmt(scale) + (scale == 0.0 ? " (gradient is all zero: the contract is not tested)" : ""));
  }

  // Central differences on up to max_checks elements of one tensor.
  const double ulp_noise = o.noise_ulps * 0x1p-24;
  std::uint64_t tensor_index = 0;
  const auto check_tensor = [&](const std::string& name, float* data, const Shape& shape,
                                const std::vector<float>& analytic) {
    const std::int64_t n = shape.numel();
    const std::vector<std::int64_t> idx =
        detail::pick_indices(n, o.max_checks_per_tensor, Rng(o.seed).fork(++tensor_index));
    double worst = 0.0;
    std::int64_t worst_at = -1;
    double worst_a = 0.0, worst_n = 0.0;
    for (std::int64_t i : idx) {
      const float orig = data[i];
      const float up = static_cast<float>(static_cast<double>(orig) + o.eps);
      const float down = static_cast<float>(static_cast<double>(orig) - o.eps);
      data[i] = up;
      const detail::LossEval lp = evaluate();
      data[i] = down;
      const detail::LossEval lm = evaluate();
      data[i] = orig;
      const double h = static_cast<double>(up) - static_cast<double>(down);  // the step actually taken
      const double num = (lp.loss - lm.loss) / h;
      const double noise = ulp_noise * (lp.changed_mass + lm.changed_mass) / h;
      const double a = analytic[static_cast<std::size_t>(i)];
      const double denom = std::max({std::abs(a) + std::abs(num), o.floor, noise / o.tolerance});
      const double err = detail::sanitize_error(std::abs(a - num) / denom);
      if (worst_at < 0 || err > worst) {
        worst = err;
        worst_at = i;
        worst_a = a;
        worst_n = num;
      }
    }
    std::string detail_text = std::to_string(idx.size()) + " of " + std::to_string(n) + " elements of " + shape.str();
    if (worst_at >= 0) {
      detail_text += ", worst error " + detail::fmt(worst) + " at flat index " + std::to_string(worst_at) +
                     " (analytic " + detail::fmt(worst_a) + ", numeric " + detail::fmt(worst_n) + ")";
    }
    detail::record(result, o.tolerance, name, worst, detail_text);
  };

  if (o.check_input) check_tensor("input", xw.data<float>(), xw.shape(), dx1);
  for (std::size_t k = 0; k < params.size(); ++k)
    check_tensor(params[k].first, params[k].second->value().data<float>(), params[k].second->value().shape(), g1[k]);
  for (const std::string& name : frozen) result.report += "  skip  " + name + ": frozen (no gradient)\n";

  // The unperturbed loss again: the forward must be repeatable and every element restored.
  {
    double base = 0.0, mass = 0.0;
    for (std::size_t i = 0; i < y0.size(); ++i) {
      const double t = static_cast<double>(y0[i]) * static_cast<double>(r[i]);
      base += t;
      mass += std::abs(t);
    }
    const detail::LossEval again = evaluate();
    const double diff = std::abs(again.loss - base);
    const double err = diff == 0.0 ? 0.0 : diff / std::max(mass, std::numeric_limits<double>::min());
    detail::record(result, o.tolerance, "forward is repeatable", err,
                   "loss " + detail::fmt(base) + " before the checks, " + detail::fmt(again.loss) +
                       " after (error relative to sum |y R| = " + detail::fmt(mass) + ")");
  }

  for (auto& [name, p] : params) p->zero_grad();
  std::ostringstream head;
  head << "grad_check " << (result.ok ? "passed" : "FAILED") << ": worst error " << detail::fmt(result.worst_relative_error)
       << " (" << result.worst_name << "), tolerance " << detail::fmt(o.tolerance) << ", eps " << detail::fmt(o.eps)
       << "\n";
  result.report = head.str() + result.report;
  return result;
}

}  // namespace dapt::testing
