"""SimPy engine: tickets through tiers and teams under shifts, into an event log."""
