"""Ours -> the Mastodon client API's JSON entities (docs: content/en/entities/*.md; the
serializers in Mastodon's app/serializers/rest/). Pure functions over the parts in
parts.py: ids are strings, times ISO 8601 with milliseconds in UTC, and Dreamfeed's own
fields live under a `dreamfeed` key that clients which do not know it ignore."""
