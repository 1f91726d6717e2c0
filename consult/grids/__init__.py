"""Grid workers (网格员): the grid page (who lives where, who has voted, never how), the
consents residents give them, and the acts they do for a resident with such a consent."""
