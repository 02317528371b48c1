"""Synthetic stores at the scales of DESIGN.md (village, county, province) for benches and tests.

`generate` writes regions, cadres, workers, months of check-ins and supervision problems
straight into a migrated store with bulk loads; `publish_next_day` adds one day's trickle of
new check-ins and roster changes, as incremental evaluation sees it in production.
"""

from lianxin.synth.daily import DailyStats, publish_next_day
from lianxin.synth.generate import SynthStats, generate
from lianxin.synth.geography import SCALES, Scale

__all__ = ["SCALES", "DailyStats", "Scale", "SynthStats", "generate", "publish_next_day"]
