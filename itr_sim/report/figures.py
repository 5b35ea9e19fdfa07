"""Matplotlib figures of a run, each returned as PNG bytes (Agg backend, no display)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import FancyBboxPatch

__all__ = ["attainment", "backlog", "cost", "escalations", "flow", "load_heatmap",
           "resolve_times"]

CLOCKS = ("response", "restore", "resolve")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def attainment(kpis: dict[str, Any]) -> bytes:
    """Attainment per level x severity for response, restore and resolve, with 95% intervals
    and the target as a tick."""
    rows = []
    for level, sevs in kpis["sla"].items():
        for sev, clocks in sevs.items():
            for clock in CLOCKS:
                cell = clocks.get(clock)
                if cell and cell["attainment"] is not None:
                    rows.append((f"{level} {sev}", clock, cell))
    labels = list(dict.fromkeys(r[0] for r in rows))
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(labels) + 1.5))
    height = 0.8 / len(CLOCKS)
    colours = {"response": "#4C72B0", "restore": "#DD8452", "resolve": "#55A868"}
    for k, clock in enumerate(CLOCKS):
        for label, c, cell in rows:
            if c != clock:
                continue
            y = labels.index(label) + (k - 1) * height
            value = cell["attainment"]
            lo, hi = cell["ci95"]
            missed = cell["target"] is not None and value < cell["target"]
            ax.barh(y, value * 100, height, color=colours[clock],
                    edgecolor="red" if missed else "none", linewidth=1.5,
                    label=clock if label == next(r[0] for r in rows if r[1] == clock) else None)
            if lo is not None:
                ax.errorbar(value * 100, y, xerr=[[max(value - lo, 0) * 100],
                                                  [max(hi - value, 0) * 100]],
                            fmt="none", ecolor="black", capsize=2, linewidth=0.8)
            if cell["target"] is not None:
                ax.plot(cell["target"] * 100, y, marker="|", color="black", markersize=12)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlim(min(50, ax.get_xlim()[0]), 101)
    ax.set_xlabel("attainment, % of due clocks (| = target, red edge = below target)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title("SLA attainment by level and severity")
    return _png(fig)


def backlog(series: pd.DataFrame) -> bytes:
    """Open customer tickets over time: mean over replications and the min-max band."""
    per = series.pivot_table(index="time_min", columns="replication", values="open")
    days = per.index.to_numpy() / 1440.0
    fig, ax = plt.subplots(figsize=(9, 3))
    ax.fill_between(days, per.min(axis=1), per.max(axis=1), alpha=0.25, label="min-max")
    ax.plot(days, per.mean(axis=1), linewidth=1, label="mean")
    ax.set_xlabel("days since start")
    ax.set_ylabel("open tickets")
    ax.set_title("Backlog over time")
    ax.legend(fontsize=8)
    return _png(fig)


def load_heatmap(sess: pd.DataFrame, staffing: dict[str, Any], tiers: list[str],
                 origin_offset_min: float, start: float, end: float, replications: int
                 ) -> bytes:
    """Busy agents (mean) by hour of the week per tier, with the agents on duty as text."""
    fig, axes = plt.subplots(len(tiers), 1, figsize=(10, 2.2 * len(tiers)), squeeze=False)
    hours = np.arange(start, end, 60.0)
    for ax, tier in zip(axes[:, 0], tiers, strict=True):
        mine = sess[sess["unit"] == tier]
        busy = np.zeros(len(hours))
        a, b = mine["start"].to_numpy(), mine["end"].to_numpy()
        for i, h in enumerate(hours):
            busy[i] = np.clip(np.minimum(b, h + 60) - np.maximum(a, h), 0, None).sum() / 60
        busy /= replications
        staffed = np.array([staffing[tier].at(h + 30) for h in hours])
        week_hour = (((hours + origin_offset_min) // 60) % 168).astype(int)
        grid_busy = np.zeros(168)
        grid_staff = np.zeros(168)
        counts = np.bincount(week_hour, minlength=168)
        np.add.at(grid_busy, week_hour, busy)
        np.add.at(grid_staff, week_hour, staffed)
        grid_busy /= np.maximum(counts, 1)
        grid_staff /= np.maximum(counts, 1)
        util = np.divide(grid_busy, grid_staff, out=np.full(168, np.nan), where=grid_staff > 0)
        image = ax.imshow(util.reshape(7, 24), aspect="auto", cmap="RdYlGn_r", vmin=0, vmax=1)
        for d in range(7):
            for h in range(0, 24, 2):
                ax.text(h, d, f"{grid_staff[d * 24 + h]:.0f}", ha="center", va="center",
                        fontsize=6, color="black")
        ax.set_yticks(range(7), DAYS)
        ax.set_xticks(range(0, 24, 2))
        ax.set_title(f"{tier}: busy / on duty by hour of week (numbers: agents on duty)",
                     fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.02)
    fig.tight_layout()
    return _png(fig)


def flow(kpis: dict[str, Any]) -> bytes:
    """Escalation flow L1 -> L2 -> L3: tickets per week reaching each line, resolved there
    (down) and handed over (right), with the shares against 991."""
    tiers = list(kpis["tiers"].items())
    weeks = kpis["measured_weeks"]
    fig, ax = plt.subplots(figsize=(9, 3.2))
    ax.set_xlim(0, 3 * len(tiers))
    ax.set_ylim(-2.2, 1.6)
    ax.axis("off")
    ax.set_title("Escalation flow, tickets per week")
    for i, (name, t) in enumerate(tiers):
        x = 3 * i + 0.5
        reached = t["reached_per_week"]
        out = t["escalated_out"] / weeks
        share = t["resolved_share"] or 0.0
        target = t["target_share_991"]
        ax.add_patch(FancyBboxPatch((x, 0), 1.6, 1, boxstyle="round,pad=0.05",
                                    facecolor="#DCE6F2", edgecolor="#4C72B0"))
        ax.text(x + 0.8, 0.5, f"{name}\n{reached:.1f} in", ha="center", va="center",
                fontsize=10)
        resolved = max(reached - out, 0.0)
        goal = "" if target is None else f" (991: {target:.0%})"
        ax.annotate("", xy=(x + 0.8, -1.1), xytext=(x + 0.8, -0.05),
                    arrowprops={"arrowstyle": "-|>", "color": "#55A868",
                                "lw": 1 + 6 * resolved / max(tiers[0][1]["reached_per_week"], 1)})
        ax.text(x + 0.8, -1.5, f"resolved {resolved:.1f}\n{share:.1%} of all{goal}",
                ha="center", va="center", fontsize=8)
        if i + 1 < len(tiers):
            ax.annotate("", xy=(x + 3, 0.5), xytext=(x + 1.65, 0.5),
                        arrowprops={"arrowstyle": "-|>", "color": "#DD8452", "lw": 2})
            ax.text(x + 2.32, 0.75, f"{out:.1f} handed over", ha="center", fontsize=8)
    return _png(fig)


def resolve_times(clocks: pd.DataFrame) -> bytes:
    """Distribution of wall-clock time to resolve per level (hours, log scale)."""
    c = clocks[(clocks["clock"] == "resolve") & clocks["stop_min"].notna()]
    levels = sorted(c["level"].dropna().astype(str).unique())
    data = [((c[c["level"] == lv]["stop_min"] - c[c["level"] == lv]["start_min"]) / 60)
            .clip(lower=0.01).to_numpy() for lv in levels]
    fig, ax = plt.subplots(figsize=(9, 3))
    ax.boxplot(data, tick_labels=levels, orientation="horizontal", showfliers=False)
    ax.set_xscale("log")
    ax.set_xlabel("hours from arrival to resolution (log scale; boxes: quartiles)")
    ax.set_title("Time to resolve by level")
    return _png(fig)


def escalations(kpis: dict[str, Any]) -> bytes:
    """Management escalation notices per role per week."""
    per = kpis["escalations_per_week"]
    fig, ax = plt.subplots(figsize=(9, 2.5))
    roles = list(per) or ["none"]
    ax.barh(roles, [per.get(r, 0.0) for r in roles], color="#8172B3")
    ax.set_xlabel("notices per week")
    ax.set_title("Management escalations by role")
    return _png(fig)


def cost(kpis: dict[str, Any]) -> bytes:
    """Cost to serve against revenue per level over the measured weeks."""
    per = {k: v for k, v in kpis["cost"]["per_level"].items() if v["contracts"] or v["cost"]}
    levels = list(per)
    x = np.arange(len(levels))
    fig, ax = plt.subplots(figsize=(9, 3))
    ax.bar(x - 0.2, [per[lv]["cost"] for lv in levels], 0.4, label="cost to serve")
    ax.bar(x + 0.2, [per[lv]["revenue"] for lv in levels], 0.4, label="revenue")
    ax.set_xticks(x, levels)
    ax.set_ylabel(kpis["currency"])
    ax.set_title(f"Cost and revenue over {kpis['measured_weeks']:g} weeks")
    ax.legend(fontsize=8)
    return _png(fig)
