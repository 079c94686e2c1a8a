// Learning-rate schedules: warmup ramp, constant, linear and cosine decay to a floor, validation.
#include <cmath>

#include "dapt/train/schedule.hpp"
#include "dapt_catch.hpp"

using namespace dapt::train;

TEST_CASE("schedules: warmup, constant, linear and cosine with a floor", "[train][schedule]") {
  Schedule s{.kind = ScheduleKind::kConstant, .lr = 5e-6};
  s.validate();
  CHECK(s.at(0) == 5e-6);
  CHECK(s.at(100000) == 5e-6);

  Schedule w{.kind = ScheduleKind::kCosine, .lr = 1e-3, .min_lr = 1e-4, .warmup_steps = 10, .total_steps = 110};
  w.validate();
  CHECK(w.at(0) == Approx(1e-4));
  CHECK(w.at(4) == Approx(5e-4));
  CHECK(w.at(9) == Approx(1e-3));
  CHECK(w.at(10) == Approx(1e-3));
  CHECK(w.at(60) == Approx(1e-4 + 0.9e-3 * 0.5));  // half way: cos(pi/2) = 0
  CHECK(w.at(110) == Approx(1e-4));
  CHECK(w.at(500) == Approx(1e-4));
  for (int i = 11; i < 110; ++i) CHECK(w.at(i) < w.at(i - 1));

  Schedule l{.kind = ScheduleKind::kLinear, .lr = 2.0, .min_lr = 0.0, .warmup_steps = 0, .total_steps = 4};
  CHECK(l.at(0) == 2.0);
  CHECK(l.at(1) == 1.5);
  CHECK(l.at(2) == 1.0);
  CHECK(l.at(4) == 0.0);
  CHECK(parse_schedule_kind("cosine") == ScheduleKind::kCosine);
}

TEST_CASE("schedules: invalid settings are named", "[train][schedule]") {
  REQUIRE_DAPT_ERROR((Schedule{.kind = ScheduleKind::kCosine, .lr = 1e-3, .total_steps = 0}.validate()), kInvalidArgument,
                     "total_steps");
  REQUIRE_DAPT_ERROR((Schedule{.lr = 1e-3, .min_lr = 1e-2}.validate()), kInvalidArgument, "min_lr");
  REQUIRE_DAPT_ERROR((Schedule{.lr = -1}.validate()), kInvalidArgument, "lr must be");
  REQUIRE_DAPT_ERROR(parse_schedule_kind("step"), kInvalidArgument, "constant, linear or cosine");
}
