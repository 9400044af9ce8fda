"""Multi-step dosing: a drug line with several dosageInstructions (azithromycin 500 mg on day
1, then 250 mg a day on days 2 to 5). Steps of the same `sequence` are taken together; a higher
sequence comes after. Each phase lasts what its steps say (bounds or count); one phase, and
only one, may leave it unsaid and take the days of supply the others leave."""

from dataclasses import dataclass

from rxsim.domain.prescription import DoseStep, Item


@dataclass(frozen=True)
class Phase:
    steps: tuple[DoseStep, ...]
    days: float

    @property
    def units(self) -> float:
        """What the phase uses up: dose × times per day × days, summed over its steps."""
        return sum((s.dose or 0) * (s.times_per_day or 0) for s in self.steps) * self.days

    def said(self) -> str:
        doses = " + ".join(f"{s.dose or 0:g} × {s.times_per_day or 0:g}/ngày" for s in self.steps)
        return (
            f"({doses}) × {self.days:g} ngày"
            if len(self.steps) > 1
            else f"{doses} × {self.days:g} ngày"
        )


def _grouped(item: Item) -> list[tuple[DoseStep, ...]]:
    sequences = sorted({step.sequence for step in item.steps})
    return [tuple(s for s in item.steps if s.sequence == n) for n in sequences]


def unbounded(item: Item) -> list[DoseStep]:
    """The first step of every phase that says not how long it lasts."""
    return [group[0] for group in _grouped(item) if all(s.days is None for s in group)]


def _lengths(item: Item) -> list[float | None]:
    """Each phase's own length, the longest its steps say (None: none says)."""
    return [max((s.days for s in g if s.days is not None), default=None) for g in _grouped(item)]


def days_left(item: Item) -> float:
    """The days of supply the phases that say their length leave to the one that does not."""
    return (item.days or 0) - sum(days for days in _lengths(item) if days is not None)


def phases(item: Item) -> list[Phase] | None:
    """The regimen's phases with their days, or None when they cannot be told (a step without
    dose or frequency, more than one phase without a length, or no days left for it: the
    dosage rule names it)."""
    if any(s.dose is None or s.times_per_day is None for s in item.steps):
        return None
    lengths = _lengths(item)
    unsaid = [i for i, days in enumerate(lengths) if days is None]
    if len(unsaid) > 1 or (unsaid and days_left(item) <= 0):
        return None
    if unsaid:
        lengths[unsaid[0]] = days_left(item)
    return [Phase(g, days or 0) for g, days in zip(_grouped(item), lengths, strict=True)]


def is_multi_step(item: Item) -> bool:
    return len(item.steps) > 1


def treatment_days(item: Item) -> float | None:
    """How many days the treatment runs: the days of supply, or the steps' own days added up
    when they run longer (the supply limits count the longer)."""
    regimen = phases(item) if is_multi_step(item) else None
    if regimen is None:
        return item.days
    return max(item.days or 0, sum(phase.days for phase in regimen))
