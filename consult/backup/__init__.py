"""Whole-database backups: ``flask --app consult backup PATH`` and ``restore PATH``."""
