/// @file schedule.hpp
/// @brief Learning-rate schedules of the trainer: constant (ChipNeMo's DAPT used 5e-6 constant),
/// linear decay and cosine decay, each with an optional linear warmup and a floor (`min_lr`).
/// A schedule is a pure function of the step, so a resumed run gets the same learning rates
/// without saving any schedule state beyond the step count.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <string_view>

#include "dapt/core/error.hpp"

namespace dapt::train {

enum class ScheduleKind { kConstant, kLinear, kCosine };

inline ScheduleKind parse_schedule_kind(std::string_view name) {
  if (name == "constant") return ScheduleKind::kConstant;
  if (name == "linear") return ScheduleKind::kLinear;
  if (name == "cosine") return ScheduleKind::kCosine;
  DAPT_FAIL(ErrorCategory::kInvalidArgument, "unknown learning-rate schedule \"", name,
            "\" (expected constant, linear or cosine)");
}

struct Schedule {
  ScheduleKind kind = ScheduleKind::kConstant;
  double lr = 1e-4;                ///< peak learning rate, reached at the end of warmup
  double min_lr = 0.0;             ///< floor of the linear and cosine decays
  std::int64_t warmup_steps = 0;   ///< linear ramp from lr / warmup_steps (step 0) to lr
  std::int64_t total_steps = 0;    ///< decay ends here (linear, cosine); ignored by constant

  void validate() const {
    DAPT_CHECK(std::isfinite(lr) && lr >= 0, "schedule: lr must be finite and non-negative, got ", lr);
    DAPT_CHECK(std::isfinite(min_lr) && min_lr >= 0 && min_lr <= lr, "schedule: min_lr must lie in [0, lr], got ",
               min_lr, " with lr ", lr);
    DAPT_CHECK(warmup_steps >= 0, "schedule: warmup_steps must be non-negative, got ", warmup_steps);
    if (kind != ScheduleKind::kConstant)
      DAPT_CHECK(total_steps > warmup_steps, "schedule: total_steps (", total_steps,
                 ") must exceed warmup_steps (", warmup_steps, ") for a decaying schedule");
  }

  /// The learning rate of optimizer step `step` (0-based). During warmup step s gets
  /// lr * (s + 1) / warmup_steps, so no step is wasted at lr 0 (transformers' schedules give
  /// step 0 a rate of 0) and the last warmup step reaches lr. After total_steps the decays stay
  /// at min_lr.
  double at(std::int64_t step) const {
    if (step < warmup_steps) return lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
    if (kind == ScheduleKind::kConstant) return lr;
    const double span = static_cast<double>(total_steps - warmup_steps);
    const double progress = std::clamp(static_cast<double>(step - warmup_steps) / span, 0.0, 1.0);
    const double shape = kind == ScheduleKind::kLinear ? 1.0 - progress : 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
    return min_lr + (lr - min_lr) * shape;
  }
};

}  // namespace dapt::train
