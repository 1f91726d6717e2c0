"""Votes (表决): electorates and rules from the law, ballots with receipts, a checkable tally."""
