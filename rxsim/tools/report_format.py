"""How the reports write figures, so the HTML page and the terminal say the same thing."""

NOTHING = "—"  # a figure with nothing measured behind it


def ms(value: float) -> str:
    """Milliseconds, to the precision that matters to a reader: whole ones from 100 ms on."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def count(value: float) -> str:
    return f"{value:,.0f}"


def rate(value: float) -> str:
    return f"{value:,.1f}/s"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def simulated(minutes: float) -> str:
    """Simulated time as people say it: minutes, hours or days."""
    if minutes < 120:
        return f"{minutes:,.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:,.1f} h"
    return f"{minutes / 1440:,.1f} d"


def percent_change(before: float, after: float) -> float | None:
    """(after − before) / before in %; None when before is 0 and after is not (no ratio)."""
    if before == after:
        return 0.0
    if before == 0:
        return None
    return (after - before) / before * 100
