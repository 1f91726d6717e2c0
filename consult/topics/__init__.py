"""Topics (议题): proposal, co-signing, review, open comment, and the lifecycle later stages use."""
