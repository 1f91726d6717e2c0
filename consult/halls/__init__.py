"""Deliberation halls (议事厅), their meetings and the minutes (会议纪要)."""
