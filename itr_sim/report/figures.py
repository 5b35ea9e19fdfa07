"""Matplotlib figures of a run. Each function draws on ``ax`` (a new figure when None) and
returns the matplotlib Axes, or the Figure for the multi-panel load heatmap, so notebooks
can place and restyle them; :func:`svg` turns a figure into the bytes the report embeds.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies), the
heatmap uses viridis; verdicts are also told apart by marker shape."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch
from matplotlib.ticker import FuncFormatter

from itr_sim.report.loadgrid import DAYS
from itr_sim.report.words import label

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = ["OKABE_ITO", "VERDICT_STYLE", "attainment", "backlog", "cost", "escalations",
           "flow", "load_heatmap", "png", "resolve_times", "svg", "weekly_attainment"]

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000")
"""Series colours, in order: blue, orange, bluish green, reddish purple, sky blue,
vermillion, yellow, black."""
VERDICT_STYLE = {"met": ("#009E73", "o"), "at risk": ("#E69F00", "D"),
                 "missed": ("#D55E00", "X")}
"""Colour and marker of each verdict."""

_RC: dict[RcKeyType, Any] = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
       "axes.spines.right": False, "axes.titlesize": 10, "axes.titleweight": "bold"}


def svg(fig: Figure) -> bytes:
    """The figure as SVG (text kept as text), then closed."""
    buf = io.BytesIO()
    with plt.rc_context(_RC):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def png(fig: Figure, dpi: int = 200) -> bytes:
    """The figure as PNG at ``dpi`` (200: sharp on high-density screens), then closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    with plt.rc_context(_RC):
        _, new = plt.subplots(figsize=size)
    for side in ("top", "right"):
        new.spines[side].set_visible(False)
    return new


def _thousands(ax_axis: Any) -> None:
    ax_axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))


def _dates(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def attainment(sla: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Every clock with a target (rows of :func:`itr_sim.report.tables.sla_table`, in their
    order): the mean attainment as a dot coloured and shaped by its verdict, the 95% interval
    as a line, the target as a black bar, on a scale zoomed to the data."""
    ax = _axes(ax, (9, 0.24 * len(sla) + 1.4))
    y = np.arange(len(sla))
    low = sla["ci_low"].fillna(sla["attainment"]).to_numpy() * 100
    high = sla["ci_high"].fillna(sla["attainment"]).to_numpy() * 100
    ax.hlines(y, low, high, color="#555555", linewidth=1.2)
    for name, (colour, marker) in VERDICT_STYLE.items():
        mine = (sla["verdict"] == name).to_numpy()
        ax.scatter(sla["attainment"].to_numpy()[mine] * 100, y[mine], color=colour,
                   marker=marker, s=36, zorder=3, label=name)
    ax.scatter(sla["target"] * 100, y, marker="|", color="black", s=140, zorder=4,
               label="target")
    labels = [f"{label(lv)} · {sev} · {clock}" for lv, sev, clock in
              zip(sla["level"], sla["severity"], sla["clock"], strict=True)]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_ylim(len(sla) - 0.5, -0.5)
    lowest = float(np.nanmin(np.r_[low, sla["target"].to_numpy() * 100, 100.0]))
    ax.set_xlim(max(0.0, lowest - max(2.0, (100 - lowest) * 0.05)), 100.8)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}%"))
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_xlabel("attainment: share of due clocks met (line: 95% interval, bar: target)")
    ax.legend(loc="lower left", fontsize=8, ncols=4, frameon=False,
              bbox_to_anchor=(0.0, 1.0))
    ax.set_title("Every SLA clock against its target", pad=22)
    return ax


def weekly_attainment(weekly: pd.DataFrame, holidays: list[tuple[date, str]] | None = None,
                      ax: Axes | None = None) -> Axes:
    """Weekly attainment per level (solid) against its target (dashed, same colour), weeks
    by their first day, holidays shaded. ``weekly``: rows of
    :func:`itr_sim.report.tables.weekly_attainment`."""
    ax = _axes(ax, (9, 3.2))
    shaded = False
    for day, _name in holidays or []:
        start = datetime(day.year, day.month, day.day)
        # matplotlib's stub wants floats, but a date axis takes datetimes through its units
        # converter (as plot() does), which also makes the axis a date axis
        ax.axvspan(start, start + timedelta(days=1),  # type: ignore[arg-type]
                   color="#cccccc", alpha=0.6, linewidth=0,
                   label=None if shaded else "holiday")
        shaded = True
    for i, (level, g) in enumerate(weekly.groupby("level", sort=False)):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.plot(g["week"], g["attainment"] * 100, color=colour, marker="o", markersize=3,
                label=label(level))
        ax.plot(g["week"], g["target"] * 100, color=colour, linestyle="--", linewidth=0.9)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}%"))
    _dates(ax)
    ax.set_ylabel("due clocks met")
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.legend(fontsize=8, ncols=5, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0))
    ax.set_title("Weekly attainment per level (dashed: target)", pad=22)
    return ax


def backlog(series: pd.DataFrame, origin: datetime, ax: Axes | None = None) -> Axes:
    """Open customer tickets over the measured period, on local dates: the mean over
    replications and the band from the lowest to the highest replication."""
    ax = _axes(ax, (9, 3))
    per = series.pivot_table(index="time_min", columns="replication", values="open")
    when = pd.Timestamp(origin.replace(tzinfo=None)) + pd.to_timedelta(per.index, unit="min")
    ax.fill_between(when, per.min(axis=1), per.max(axis=1), color=OKABE_ITO[4], alpha=0.35,
                    linewidth=0, label="lowest to highest replication")
    ax.plot(when, per.mean(axis=1), color=OKABE_ITO[0], linewidth=1.2, label="mean")
    _dates(ax)
    ax.set_ylabel("open tickets")
    ax.set_title("Backlog over time")
    ax.legend(fontsize=8, frameon=False)
    return ax


def load_heatmap(grid: pd.DataFrame, tier: str | None = None, ax: Axes | None = None
                 ) -> Figure | Axes:
    """Utilisation (busy agents / agents on duty) by weekday and local hour, with the agents
    on duty written in each cell; one panel per tier (returns the Figure), or only ``tier``
    on ``ax`` (returns the Axes). ``grid``: :func:`itr_sim.report.loadgrid.load_grid`."""
    if tier is None:
        tiers = list(dict.fromkeys(grid["tier"]))
        with plt.rc_context(_RC):
            fig, axes = plt.subplots(len(tiers), 1, figsize=(10, 2.6 * len(tiers)),
                                     squeeze=False)
        for one, name in zip(axes[:, 0], tiers, strict=True):
            load_heatmap(grid, name, one)
        fig.tight_layout()
        return fig
    ax = _axes(ax, (10, 2.6))
    g = grid[grid["tier"] == tier].sort_values(["day", "hour"])
    util = g["utilisation"].to_numpy().reshape(7, 24)
    staff = g["on_duty"].to_numpy().reshape(7, 24)
    image = ax.imshow(util, aspect="auto", cmap="viridis", vmin=0, vmax=1)
    for d in range(7):
        for h in range(24):
            if staff[d, h] > 0:
                light = not np.isnan(util[d, h]) and util[d, h] > 0.6
                ax.text(h, d, f"{staff[d, h]:.0f}", ha="center", va="center", fontsize=7,
                        color="black" if light else "white")
    ax.set_yticks(range(7), DAYS, fontsize=8)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}:00" for h in range(0, 24, 2)], fontsize=8)
    ax.set_title(f"{tier}: busy share of agents on duty (number: agents on duty; "
                 "blank: nobody)", fontsize=9)
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.025, pad=0.01)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0%}"))
    return ax


def flow(kpis: dict[str, Any], ax: Axes | None = None) -> Axes:
    """Escalation flow L1 -> L2 -> L3: tickets per week reaching each line, resolved there
    (down) and handed over (right), with the shares against 991."""
    tiers = list(kpis["tiers"].items())
    weeks = kpis["measured_weeks"]
    ax = _axes(ax, (9, 3.2))
    ax.set_xlim(0, 3 * len(tiers))
    ax.set_ylim(-2.2, 1.6)
    ax.axis("off")
    ax.set_title("Escalation flow, tickets per week")
    top = max(tiers[0][1]["reached_per_week"], 1) if tiers else 1
    for i, (name, t) in enumerate(tiers):
        x = 3 * i + 0.5
        reached = t["reached_per_week"]
        out = t["escalated_out"] / weeks
        share = t["resolved_share"] or 0.0
        target = t["target_share_991"]
        ax.add_patch(FancyBboxPatch((x, 0), 1.6, 1, boxstyle="round,pad=0.05",
                                    facecolor="#D6EAF8", edgecolor=OKABE_ITO[0]))
        ax.text(x + 0.8, 0.5, f"{name}\n{reached:,.1f} in", ha="center", va="center",
                fontsize=10)
        resolved = max(reached - out, 0.0)
        goal = "" if target is None else f" (991: {target:.0%})"
        ax.annotate("", xy=(x + 0.8, -1.1), xytext=(x + 0.8, -0.05),
                    arrowprops={"arrowstyle": "-|>", "color": OKABE_ITO[2],
                                "lw": 1 + 6 * resolved / top})
        ax.text(x + 0.8, -1.5, f"resolved {resolved:,.1f}\n{share:.1%} of all{goal}",
                ha="center", va="center", fontsize=8)
        if i + 1 < len(tiers):
            ax.annotate("", xy=(x + 3, 0.5), xytext=(x + 1.65, 0.5),
                        arrowprops={"arrowstyle": "-|>", "color": OKABE_ITO[1], "lw": 2})
            ax.text(x + 2.32, 0.75, f"{out:,.1f} handed over", ha="center", fontsize=8)
    return ax


def resolve_times(clocks: pd.DataFrame, levels: list[str] | None = None,
                  ax: Axes | None = None) -> Axes:
    """Wall-clock hours from arrival to resolution per level (log scale; boxes: quartiles,
    whiskers: 1.5 interquartile ranges), levels in the given order."""
    c = clocks[(clocks["clock"] == "resolve") & clocks["stop_min"].notna()]
    present = list(dict.fromkeys(c["level"].dropna().astype(str)))
    order = [lv for lv in (levels or []) if lv in present] + \
        sorted(lv for lv in present if lv not in (levels or []))
    data = [((c[c["level"] == lv]["stop_min"] - c[c["level"] == lv]["start_min"]) / 60)
            .clip(lower=0.01).to_numpy() for lv in order]
    ax = _axes(ax, (9, 0.5 * len(order) + 1.4))
    if data:
        ax.boxplot(data, tick_labels=[label(lv) for lv in order], orientation="horizontal",
                   showfliers=False, medianprops={"color": OKABE_ITO[5]})
        ax.set_ylim(len(order) + 0.5, 0.5)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f} h" if x >= 1
                                               else f"{x * 60:.0f} min"))
    ax.set_xlabel("hours from arrival to resolution (log scale; box: middle half)")
    ax.set_title("Time to resolve by level")
    return ax


def escalations(kpis: dict[str, Any], ax: Axes | None = None) -> Axes:
    """Management escalation notices per role per week."""
    per = kpis["escalations_per_week"]
    roles = list(per) or ["none"]
    ax = _axes(ax, (9, 0.35 * len(roles) + 1.2))
    ax.barh([label(r) for r in roles], [per.get(r, 0.0) for r in roles], color=OKABE_ITO[3])
    ax.invert_yaxis()
    ax.set_xlabel("notices per week")
    ax.set_title("Management escalations by role")
    return ax


def cost(table: pd.DataFrame, currency: str, weeks: float, ax: Axes | None = None) -> Axes:
    """Cost to serve against revenue per level over the measured weeks, in the currency's
    units with thousands separators. ``table``: :func:`itr_sim.report.tables.cost_table`."""
    ax = _axes(ax, (9, 3))
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["cost"], 0.4, label="cost to serve", color=OKABE_ITO[1])
    ax.bar(x + 0.2, table["revenue"], 0.4, label="revenue", color=OKABE_ITO[0])
    ax.set_xticks(x, [label(lv) for lv in table["level"]])
    _thousands(ax.yaxis)
    ax.set_ylabel(currency)
    ax.set_title(f"Cost and revenue over {weeks:g} weeks")
    ax.legend(handles=[Patch(color=OKABE_ITO[1], label="cost to serve"),
                       Patch(color=OKABE_ITO[0], label="revenue")], fontsize=8, frameon=False)
    return ax
