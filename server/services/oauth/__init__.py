"""OAuth 2 for the client API: registered apps, authorization codes, access tokens, scopes."""
