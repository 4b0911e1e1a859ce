"""Memory series shapes: a plateau reached early is an undersized limit, a steady climb is a leak."""

from __future__ import annotations

from kubesent.evidence import trend

MI = 2**20


def _series(values_mi: list[float], step_seconds: int = 60) -> list[tuple[float, float]]:
    return [(i * step_seconds, v * MI) for i, v in enumerate(values_mi)]


def test_a_jump_at_start_then_a_plateau_at_the_limit_is_undersized():
    shape = trend.classify(_series([200, 250, 255, 256, 256, 255, 256, 256, 256, 256]), source="prometheus")

    assert shape is not None and shape.kind is trend.TrendKind.UNDERSIZED


def test_a_steady_climb_over_the_life_is_a_leak_with_its_slope():
    shape = trend.classify(_series([40 + 20 * i for i in range(12)]), source="cloud_monitoring")

    assert shape is not None and shape.kind is trend.TrendKind.LEAK
    assert round(shape.slope_bytes_per_minute / MI) == 20 and "+20.0Mi/min" in shape.describe()


def test_noise_around_a_middle_level_says_nothing():
    shape = trend.classify(_series([100, 180, 90, 170, 95, 175, 100, 200, 110, 120]), source="prometheus")

    assert shape is not None and shape.kind is trend.TrendKind.UNKNOWN


def test_too_few_points_or_no_time_span_is_no_trend():
    assert trend.classify(_series([10, 20, 30]), source="prometheus") is None
    assert trend.classify([(0.0, 1.0)] * 10, source="prometheus") is None
