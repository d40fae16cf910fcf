from django.contrib import admin

from undersigned.accounts.models import StatementRole

admin.site.register(StatementRole)
