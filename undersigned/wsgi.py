import os
import sys

from django.core.wsgi import get_wsgi_application

# A request thread that gives up the GIL for the database (every SQLite call does) waits,
# when another thread is running Python, up to the switch interval to get it back: 5 ms by
# default. A batch of sign-ons does that a dozen times while it holds SQLite's writer's turn
# (lib.sqlite), so the turn was held 2 ms at the median and 11 ms at p90 for a write that
# takes under 1 ms alone, while the other server process waited for it. With 0.5 ms: 1.7 and
# 8 to 10 ms, and 1.0 to 1.25 times the sign-ons per second in alternating runs (noisy).
SWITCH_INTERVAL = 0.0005
sys.setswitchinterval(SWITCH_INTERVAL)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
application = get_wsgi_application()
