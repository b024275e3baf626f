"""Users, sign-in and account lifecycle."""
