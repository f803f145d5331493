"""Names vulture cannot see used: `make lint` scans this file beside the packages.

Vulture reads Python only, so fields read by Jinja templates, columns kept for operators and
names only tests read look dead to it. Framework hooks are in pyproject's [tool.vulture]
(ignore_names, ignore_decorators) instead. Add a line here only with where the name is used;
anything without such a place is dead code: remove it.
"""

# ruff: noqa: B018
# (bare attribute accesses are vulture's whitelist format; the file is read, never run)
from typing import Any

_: Any = None

# Read by templates (server/templates/).
_.dead_since, _.next_after  # admin_deliveries.html: DeadLetterPage
_.dead_jobs, _.queued_jobs  # admin_dashboard.html, admin_base.html: Dashboard
_.qualities, _.max_images, _.left  # compose_form.html: ComposerPage, quota
_.preview_alt  # compose_parent.html: ParentPreview
_.sender_handle  # _notification_items.html: NotificationItem
_.like_pending, _.boost_pending  # _post_card.html: InteractionStates
_.timeline_id, _.why  # _post_card.html: PostCard
_.quote_offer  # _post_card.html: PostCard (reading/quote_cards.py's QuoteOffer)
_.remix_parent, _.viewer_data  # _post_card.html, profile_items.html: PostCard
_.remix_label  # _quote_card.html: QuoteCard
_.original_url, _.og_image  # status.html: PostPage
_.credentials_url  # status.html: ImageCard (the content credentials page)
_.validation, _.signed_at, _.claim_generator, _.ingredients  # credentials.html: Report
_.value_html, _.bio_text, _.locked, _.bot  # profile.html: ProfileView
_.posts_count, _.followers_count, _.following_count  # profile.html: ProfileView
_.scope_words  # oauth_authorize.html, settings_apps.html: AuthorizationRequest, AuthorizedApp

# Read by the logging module: its "Optimization" switches, set by server/logs.py.
_._srcfile, _.logThreads, _.logProcesses, _.logMultiprocessing

# Read by name: server/ratelimit.py getattr(config, name) for name in _WHAT.
_.signup, _.posting, _.lookup, _.api

# Columns written for operators reading the tables (and kept in the schema), never read back.
_.following_url  # accounts: the remote actor's following collection
_.totals_fetched_at  # accounts: when remote totals were last read
_.processed_at  # inbox_activities: when the job applied it
_.last_success_at, _.last_failure_at  # delivery_hosts: a host's delivery history
_.original_size, _.webp_size, _.thumb_size  # media_attachments: bytes on disk
_.thumb_width, _.thumb_height  # media_attachments: the thumbnail's box
_.cache_error, _.cached_at  # remote_media: why and when the cache was filled
_.resolved_by_account_id  # reports: which moderator closed it
_.read_at  # notifications: reserved for the client API's markers (issue 11)
_.upload_type  # pending_media: the type an upload's header showed
_.isolation_level  # storage/database.py: the sqlite3 driver's attribute
_.compress_type, _.file_size  # zipfile.ZipInfo: read by zipfile (account_export streams media in)

# Read by tests only: instruments and queries the suite asserts with.
_.most_busy  # tests/server/images/test_decode_slots.py
_.dead  # FailureDecision.dead: tests/server/jobs/test_queue.py
_.running, _.run_until_empty  # WorkerPool: tests/federation/harness.py, test_worker.py
_.mime  # Rendition.mime: tests/server/images/test_pipeline.py
_.by_activity_id  # storage/inbox.py: tests/federation/ (inbox refusals, reports, interop)
_.get_job  # storage/jobs.py: tests/server/jobs/conftest.py, tests/web/test_admin.py
_.page_links, _.prev_min_id  # storage/pagination.py: tests/storage/test_pagination.py

_.random_pipeline  # generator/engines/diffusion.py: tests/generator/test_diffusion.py, bench
_._interrupt  # diffusers pipelines read it between steps (generator/engines/diffusion.py)

_.ensure_bucket  # S3MediaStore: tests/media/conftest.py (a fresh SeaweedFS has no bucket)
