"""Event log -> clocks, KPIs with confidence intervals, queueing theory, cost."""
