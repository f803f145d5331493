"""The read side: what pages (and later the client API) show, assembled from storage with the
rules of who sees what. Nothing here changes state."""
