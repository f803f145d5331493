"""The Mastodon client API (/api/v1, /api/v2) and OAuth (/oauth): HTTP entry points for
Mastodon apps. Handlers read parameters with `params`, authenticate with `require_user` or
`require_grant`, call services, and answer with `api_json` (entities built by
server.render.to_mastodon). Errors are JSON `{"error": ...}` (the middleware in common.py)."""
