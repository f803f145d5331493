"""The wire: ActivityStreams builders and parsers, signatures, discovery documents and the
safe HTTP client. Imports nothing of ours."""
