"""Representative studios (代表工作室): sessions, reception slots, reception records."""
