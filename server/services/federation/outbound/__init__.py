"""The way out: activities recorded once and delivered by jobs, each request signed at send time."""
