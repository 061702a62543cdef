"""A monthly cost estimate as data, and its views: a rich table, HTML for notebooks, JSON, and a diff.

Every view says the price table's date and prints the assumptions, so no figure is read without
what it rests on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from html import escape
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text


@dataclass(frozen=True)
class Line:
    """One priced usage of one resource: ``low``..``high`` units at ``unit_price`` (None: no price)."""

    stack: str
    kind: str  # the stack's kind (project, environment, application, pipeline)
    environment: str | None
    application: str | None
    region: str
    resource: str  # type::name
    item: str
    meter: str
    low: float
    high: float
    unit: str
    unit_price: float | None
    how: str

    @property
    def monthly(self) -> tuple[float, float] | None:
        if self.unit_price is None:
            return None
        return self.low * self.unit_price, self.high * self.unit_price

    @property
    def group(self) -> str:
        """Where the line is totalled: ``project``, ``<env>`` or ``<env>/<app>`` (pipelines: by stack)."""
        if self.environment and self.application:
            return f"{self.environment}/{self.application}"
        return self.environment or ("project" if self.kind == "project" else self.stack)

    def to_json(self) -> dict[str, Any]:
        monthly = self.monthly
        return {"stack": self.stack, "environment": self.environment, "application": self.application,
                "region": self.region, "resource": self.resource, "item": self.item, "meter": self.meter,
                "quantity": {"min": self.low, "max": self.high, "unit": self.unit}, "unit_price": self.unit_price,
                "monthly": {"min": round(monthly[0], 4), "max": round(monthly[1], 4)} if monthly else None,
                "how": self.how}


@dataclass(frozen=True)
class CostReport:
    """What the planned stacks cost a month, line by line, with the price table's date and the assumptions."""

    project: str
    price_date: str
    currency: str
    price_file: str
    lines: tuple[Line, ...]
    assumptions: tuple[tuple[str, float, str, str], ...]  # name, value, unit, meaning
    problems: tuple[str, ...] = ()  # what could not be priced, and why
    not_estimated: tuple[str, ...] = ()  # what AWS bills that this estimate leaves out

    @property
    def total(self) -> tuple[float, float]:
        return _sum(self.lines)

    def totals(self) -> dict[str, tuple[float, float]]:
        """Totals by group: ``project``, each environment, each ``<env>/<app>``, in the order lines come."""
        groups: dict[str, list[Line]] = defaultdict(list)
        for line in self.lines:
            groups[line.group].append(line)
        return {name: _sum(lines) for name, lines in groups.items()}

    def total_line(self) -> str:
        """One sentence: the total range and the price table's date."""
        return f"estimated monthly cost: {money_range(*self.total, self.currency)} (AWS list prices of " \
               f"{self.price_date}; `ecsp cost` shows how)"

    def to_json(self) -> dict[str, Any]:
        low, high = self.total
        return {"project": self.project, "currency": self.currency, "price_date": self.price_date,
                "price_file": self.price_file,
                "total": {"min": round(low, 2), "max": round(high, 2)},
                "totals": {k: {"min": round(a, 2), "max": round(b, 2)} for k, (a, b) in self.totals().items()},
                "lines": [line.to_json() for line in self.lines],
                "assumptions": {name: {"value": value, "unit": unit, "meaning": meaning}
                                for name, value, unit, meaning in self.assumptions},
                "problems": list(self.problems), "not_estimated": list(self.not_estimated)}

    def rows(self) -> list[tuple[str, str, str, str, str, bool]]:
        """Display rows: equal items of a group merged (six repositories' storage is one row, x6), each group
        followed by its subtotal, then the total; (where, item, quantity, unit price, per month, is a total)."""
        merged: dict[tuple[str, str, str, float | None, str], list[Line]] = {}
        for line in self.lines:
            merged.setdefault((line.group, line.group, line.item, line.unit_price, line.unit), []).append(line)
        rows: list[tuple[str, str, str, str, str, bool]] = []
        totals = self.totals()
        group = None
        for (line_group, where, item, price, unit), lines in merged.items():
            if line_group != group and group is not None:
                rows.append(("", "subtotal", "", "", money_range(*totals[group], self.currency), True))
            group = line_group
            low, high = sum(x.low for x in lines), sum(x.high for x in lines)
            count = f" (x{len(lines)})" if len(lines) > 1 else ""
            cost = money_range(*_sum(lines), self.currency) if price is not None else "no price"
            rows.append((where, item + count, f"{_qty(low, high)} {unit}", "-" if price is None else f"{price:g}",
                         cost, False))
        if group is not None:
            rows.append(("", "subtotal", "", "", money_range(*totals[group], self.currency), True))
        rows.append(("total", "", "", "", money_range(*self.total, self.currency), True))
        return rows

    def table(self) -> Table:
        table = Table(title=f"{self.project}: monthly cost estimate ({self.currency}, AWS list prices of "
                            f"{self.price_date})", title_justify="left", show_lines=False, expand=False)
        for name, justify in (("where", "left"), ("item", "left"), ("quantity", "right"), ("unit price", "right"),
                              ("per month", "right")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for where, item, quantity, price, cost, total in self.rows():
            style = "bold" if total else ""
            table.add_row(Text(where, style=style), Text(item, style=style), quantity, price,
                          Text(cost, style="yellow" if cost == "no price" else style), end_section=item == "subtotal")
        return table

    def notes(self) -> list[Text]:
        """The price table's date and file, what could not be priced, the assumptions, what is left out."""
        lines = [(f"prices: {self.price_file} (AWS on-demand list prices of {self.price_date}, no free tier; "
                  "each entry names its AWS pricing page)", "dim")]
        lines += [(f"warning: {problem}", "yellow") for problem in self.problems]
        lines.append(("assumptions (override with --assume NAME=VALUE):", "bold"))
        lines += [(f"  {name} = {value:g} {unit}: {meaning}", "") for name, value, unit, meaning in self.assumptions]
        if self.not_estimated:
            lines.append(("not estimated: " + "; ".join(self.not_estimated), "dim"))
        lines.append(("not estimated: data transfer out, log storage, free tiers, Savings Plans, taxes", "dim"))
        return [Text(text, style=style) for text, style in lines]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table()
        yield Group(*self.notes())

    def _repr_html_(self) -> str:
        cells = "".join(
            "<tr>" + "".join(f"<{'th' if total else 'td'}>{escape(c)}</{'th' if total else 'td'}>"
                             for c in row[:5]) + "</tr>"
            for row in self.rows() for total in [row[5]])
        notes = "".join(f"<li>{escape(t.plain)}</li>" for t in self.notes())
        return (f"<p><b>{escape(self.project)}</b>: monthly cost estimate ({escape(self.currency)}, AWS list prices "
                f"of {escape(self.price_date)})</p><table><tr><th>where</th><th>item</th><th>quantity</th>"
                f"<th>unit price</th><th>per month</th></tr>{cells}</table><ul>{notes}</ul>")

    def diff(self, before: CostReport) -> CostDiff:
        """What changes from ``before`` (another config's estimate) to this one, item by item."""
        return CostDiff(before, self)


@dataclass(frozen=True)
class CostDiff:
    """Two estimates side by side: per group and item, the monthly cost before and after."""

    before: CostReport
    after: CostReport
    changes: tuple[tuple[str, str, tuple[float, float], tuple[float, float]], ...] = field(init=False)

    def __post_init__(self) -> None:
        old, new = _by_item(self.before), _by_item(self.after)
        keys = list(dict.fromkeys([*old, *new]))
        changes = tuple((g, i, old.get((g, i), (0.0, 0.0)), new.get((g, i), (0.0, 0.0))) for g, i in keys
                        if old.get((g, i)) != new.get((g, i)))
        object.__setattr__(self, "changes", changes)

    @property
    def delta(self) -> tuple[float, float]:
        (a, b), (c, d) = self.before.total, self.after.total
        return c - a, d - b

    def to_json(self) -> dict[str, Any]:
        return {"price_date": self.after.price_date, "currency": self.after.currency,
                "before": {"min": round(self.before.total[0], 2), "max": round(self.before.total[1], 2)},
                "after": {"min": round(self.after.total[0], 2), "max": round(self.after.total[1], 2)},
                "delta": {"min": round(self.delta[0], 2), "max": round(self.delta[1], 2)},
                "changes": [{"where": g, "item": i, "before": {"min": round(b[0], 4), "max": round(b[1], 4)},
                             "after": {"min": round(a[0], 4), "max": round(a[1], 4)}}
                            for g, i, b, a in self.changes]}

    def table(self) -> Table:
        cur = self.after.currency
        table = Table(title=f"what the change costs a month ({cur}, AWS list prices of {self.after.price_date})",
                      title_justify="left")
        for name, justify in (("where", "left"), ("item", "left"), ("before", "right"), ("after", "right"),
                              ("change", "right")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for group, item, before, after in self.changes:
            table.add_row(group, item, money_range(*before, cur), money_range(*after, cur),
                          signed_range(after[0] - before[0], after[1] - before[1], cur))
        table.add_row(Text("total", style="bold"), "", money_range(*self.before.total, cur),
                      money_range(*self.after.total, cur), Text(signed_range(*self.delta, cur), style="bold"))
        return table

    def notes(self) -> list[Text]:
        return ([] if self.changes else [Text("no change in cost")]) + self.after.notes()

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table()
        yield Group(*self.notes())

    def _repr_html_(self) -> str:
        cur = self.after.currency
        rows = "".join(f"<tr><td>{escape(g)}</td><td>{escape(i)}</td><td>{money_range(*b, cur)}</td>"
                       f"<td>{money_range(*a, cur)}</td><td>{signed_range(a[0] - b[0], a[1] - b[1], cur)}</td></tr>"
                       for g, i, b, a in self.changes)
        return (f"<p>what the change costs a month ({escape(cur)}, AWS list prices of "
                f"{escape(self.after.price_date)})</p><table><tr><th>where</th><th>item</th><th>before</th>"
                f"<th>after</th><th>change</th></tr>{rows}<tr><th>total</th><td></td>"
                f"<td>{money_range(*self.before.total, cur)}</td><td>{money_range(*self.after.total, cur)}</td>"
                f"<th>{signed_range(*self.delta, cur)}</th></tr></table>")


def _by_item(report: CostReport) -> dict[tuple[str, str], tuple[float, float]]:
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for line in report.lines:
        monthly = line.monthly or (0.0, 0.0)
        a, b = out.get((line.group, line.item), (0.0, 0.0))
        out[(line.group, line.item)] = (a + monthly[0], b + monthly[1])
    return out


def _sum(lines: list[Line] | tuple[Line, ...]) -> tuple[float, float]:
    low = high = 0.0
    for line in lines:
        monthly = line.monthly
        if monthly:
            low, high = low + monthly[0], high + monthly[1]
    return low, high


def _qty(low: float, high: float) -> str:
    return f"{low:,.4g}" if low == high else f"{low:,.4g}-{high:,.4g}"


def money(amount: float, currency: str = "USD") -> str:
    sign = "$" if currency == "USD" else f"{currency} "
    return f"-{sign}{-amount:,.2f}" if amount < 0 else f"{sign}{amount:,.2f}"


def money_range(low: float, high: float, currency: str = "USD") -> str:
    return money(low, currency) if round(low, 2) == round(high, 2) else \
        f"{money(low, currency)}-{money(high, currency)}"


def signed_range(low: float, high: float, currency: str = "USD") -> str:
    def signed(v: float) -> str:
        return ("+" if v >= 0 else "") + money(v, currency)
    return signed(low) if round(low, 2) == round(high, 2) else f"{signed(low)} to {signed(high)}"
