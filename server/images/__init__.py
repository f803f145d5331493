"""Image making for the server: the Images API backend (openai client), the media pipeline
(Pillow) and the provenance written into every file we serve."""
