"""Trip planner speed and quality: a 1,500 km trip over a 10,000-station network.

Usage: .venv/bin/python bench/trips.py [--stations N] [--runs N]

Times the exact planner (label-setting search over stations with SoC as state) and a greedy
baseline on the same network, and prints both plans' total trip time. Pure domain code: no
database, so the figures are the planner's own cost.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence

from domain.catalogue import VehicleModel, find_model
from domain.geo import GeoPoint
from domain.trips import GreatCircle, Station, TripPlan, TripRequest, greedy_plan, plan_trip

Planner = Callable[..., TripPlan]


def network(count: int, seed: int) -> list[Station]:
    """Stations scattered over a 100 km wide band from Paris's latitude eastwards."""
    rng = random.Random(seed)
    return [Station(f"s{i}", f"S{i}", rng.choice(["Ionity", "Fastned", "Allego", None]),
                    GeoPoint(lat=rng.uniform(47.5, 48.5), lng=rng.uniform(2.0, 18.3)),
                    rng.choice([22.0, 50.0, 150.0, 300.0, 350.0]),
                    rng.choice([0.39, 0.59, 0.79, None]), "EUR") for i in range(count)]


def timed(planner: Planner, model: VehicleModel, stations: Sequence[Station],
          request: TripRequest, runs: int) -> tuple[list[float], TripPlan]:
    times: list[float] = []
    plan = planner(model, model.battery_capacity_kwh, request, stations, GreatCircle(1.25))
    for _ in range(runs):
        start = time.perf_counter()
        plan = planner(model, model.battery_capacity_kwh, request, stations, GreatCircle(1.25))
        times.append(time.perf_counter() - start)
    return times, plan


def row(name: str, times: list[float], plan: TripPlan) -> str:
    p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
    return (f"{name:<9} {statistics.median(times) * 1000:>9.0f} {p95 * 1000:>8.0f} "
            f"{plan.total_minutes:>9.1f} {plan.charge_minutes:>8.1f} "
            f"{len(plan.charging_stops):>6} {plan.total_distance_km:>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}; {args.stations} stations, {args.runs} runs")
    stations = network(args.stations, seed=7)
    request = TripRequest(origin=GeoPoint(lat=48, lng=2), destination=GeoPoint(lat=48, lng=18.2))
    print(f"{'planner':<9} {'median ms':>9} {'p95 ms':>8} {'trip min':>9} {'charge':>8} "
          f"{'stops':>6} {'km':>8}")
    for model_id in ("volta-one", "volta-tourer"):
        model = find_model(model_id)
        assert model is not None
        print(f"-- {model.name} ({model.battery_capacity_kwh:g} kWh, "
              f"{model.max_dc_power_kw:g} kW DC)")
        for name, planner in (("exact", plan_trip), ("greedy", greedy_plan)):
            times, plan = timed(planner, model, stations, request, args.runs)
            print(row(name, times, plan))


if __name__ == "__main__":
    main()
