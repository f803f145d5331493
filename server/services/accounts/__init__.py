"""Local accounts: sign-up, sign-in sessions, profile settings, moving, exporting and deleting."""
