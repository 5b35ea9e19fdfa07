"""Real ticket exports -> event logs in the engine's schema."""
