"""c360: one customer, one identifier, one customer view."""
