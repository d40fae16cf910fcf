from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from undersigned.audit.services import audit_log


def organizer_create(*, email: str, password: str | None, superuser: bool = False) -> AbstractUser:
    """Create an organizer account whose username is its email address."""
    email = email.strip()
    validate_email(email)
    User = get_user_model()
    if User.objects.filter(username__iexact=email).exists():
        raise ValidationError(f"An organizer with the address {email} already exists.")
    with transaction.atomic():
        user = User.objects.create_user(
            username=email, email=email, password=password, is_staff=True, is_superuser=superuser
        )
        audit_log(action="organizer.created", obj=user, data={"superuser": superuser})
    return user
