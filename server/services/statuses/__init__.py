"""Statuses (posts) of local users: create, edit, delete, favourite and boost, and their media."""
