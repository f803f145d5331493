"""Moderation: domain blocks and the federation policy, account moderation, reports, and the
dead-lettered jobs admins look after."""
