"""The ITR business rules as plain functions over the model: entitlement (KCP1), coverage
and deadlines, routing and queue priorities, escalation decisions."""
