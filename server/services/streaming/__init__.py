"""Live events (issue 17): what changed, published when its transaction commits, carried to
every web process by a bus (in-process, PostgreSQL LISTEN/NOTIFY, or Redis pub/sub), and
routed there to the streams (Mastodon's streaming API, the web app) that may see it."""
