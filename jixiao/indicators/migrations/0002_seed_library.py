"""Load the preloaded indicator library (jixiao/indicators/seed.py). Idempotent: codes that
exist are left alone, so `manage.py seed_indicators` and this migration never duplicate."""

from django.db import migrations


def load(apps, schema_editor):
    from jixiao.indicators.seed import load_into

    # No audit records: this is the installation's starting state, not a change someone made
    # (`manage.py seed_indicators` run later is audited).
    load_into(apps.get_model("indicators", "Indicator"), apps.get_model("indicators", "BarsLevel"))


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
