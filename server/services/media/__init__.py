"""Where media files are kept: the store the configuration names, and moving files between
stores (`dreamfeed media migrate`)."""
