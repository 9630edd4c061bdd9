"""Golden records: one customer's best attributes derived from its source records."""
