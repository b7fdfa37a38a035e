"""China's public holidays and adjusted working days for 2025 and 2026 (国务院办公厅 notices).

The data lives in jixiao.engine.calendar.china, which also feeds the engine's golden tests.
A later year gets its own constant there and its own migration; this one stays as it is.
"""

import datetime

from django.db import migrations

from jixiao.engine.calendar.china import CHINA_2025, CHINA_2026

YEARS = (CHINA_2025, CHINA_2026)


def seed(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    taken = set(CalendarDay.objects.values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=day, kind=kind, name=name)
            for arrangement in YEARS
            for iso, kind, name in arrangement
            if (day := datetime.date.fromisoformat(iso)) not in taken
        ]
    )


def unseed(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    for arrangement in YEARS:
        for iso, kind, name in arrangement:
            CalendarDay.objects.filter(
                date=datetime.date.fromisoformat(iso), kind=kind, name=name
            ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_calendar_day"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
