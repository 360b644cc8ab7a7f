"""Suite-wide fixtures and hooks."""

from pathlib import Path

from utilities.testing import query_counts

pytest_plugins = ['tests.kea_fixtures']

_BASELINE = Path(__file__).resolve().parent / 'query_counts.json'
_nb_baseline_path = query_counts._baseline_path


def _baseline_path(app_label):
    """NetBox looks for `<app>/tests/query_counts.json`; this project keeps its tests (and baseline) in tests/."""
    return _BASELINE if app_label == 'netbox_kea_ha' else _nb_baseline_path(app_label)


query_counts._baseline_path = _baseline_path
