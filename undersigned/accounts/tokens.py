"""The invitation link: Django's password-reset token with its own salt, so a reset link
cannot accept an invitation nor the other way round. It expires after PASSWORD_RESET_TIMEOUT
and dies once a password is set (the token covers the password hash)."""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "undersigned.accounts.tokens.InvitationTokenGenerator"


invitation_token = InvitationTokenGenerator()
