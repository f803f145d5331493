"""The way in: an inbox request checked and stored (inbox, inbox_writer), then applied by a job
(inbox_apply, by activity type), and kept for a bounded time (inbox_retention)."""
