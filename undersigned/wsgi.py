import os
import sys

from django.core.wsgi import get_wsgi_application

# A request thread that gives up the GIL for the database (every SQLite call does) waits,
# when another thread is running Python, up to the switch interval to get it back: 5 ms by
# default. A sign-on's batch does that half a dozen times while it holds SQLite's writer's
# turn, so with 5 ms the turn was held 3 ms on average and 8 to 9 ms at p90 while the write
# itself took under 1 ms, and the other server process waited. 0.5 ms: about a quarter more
# sign-ons per second (bench/RESULTS.md).
SWITCH_INTERVAL = 0.0005
sys.setswitchinterval(SWITCH_INTERVAL)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
application = get_wsgi_application()
