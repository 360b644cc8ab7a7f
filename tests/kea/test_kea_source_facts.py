"""tests/kea/kea_source_facts.json (written by tools/kea_source_facts.py): complete for every release the tests
check, with where each fact came from; and the extractors that wrote it, on a small C++ sample (no Kea needed)."""

import re

import pytest

from tools.kea_source_facts import EXTRACTORS, FactsError, kea_fact, stored

CHECKED_TAGS = ('Kea-2.2.0', 'Kea-2.6.3', 'Kea-3.0.3')

SAMPLE = """
const SimpleDefaults HA_CONFIG_DEFAULTS = {
    { "heartbeat-delay",     Element::integer, "10000" },
    { "send-lease-updates",  Element::boolean, "true" },
    { "wait-backup-ack",     Element::boolean, "false" }
};
const SimpleKeywords SimpleParser4::GLOBAL4_PARAMETERS = {
    { "valid-lifetime",      Element::integer },
    { "subnet4",             Element::list }
};
const ParamsList SimpleParser4::INHERIT_TO_SUBNET4 = {
    "valid-lifetime",
    "rebind-timer"
};
    config->setHeartbeatDelay(getAndValidateInteger<uint16_t>(c, "heartbeat-delay"));
    config->setSyncTimeout(getAndValidateInteger<uint32_t>(c, "sync-timeout"));
        if (config_pair.first == "hooks-libraries") {
"""


def test_facts_file_covers_every_checked_release_with_its_origin():
    facts = stored()
    assert facts['repository'] == 'https://github.com/isc-projects/kea'
    assert set(CHECKED_TAGS) <= set(facts['tags'])
    for tag, entry in facts['tags'].items():
        assert re.fullmatch('[0-9a-f]{40}', entry['commit']), tag
        assert set(entry['files']) == set(EXTRACTORS), tag
        for path, file in entry['files'].items():
            assert re.fullmatch('[0-9a-f]{40}', file['blob']), f'{tag}:{path}'
            assert set(file['facts']) == set(EXTRACTORS[path]), f'{tag}:{path}'
            assert all(file['facts'].values()), f'{tag}:{path}: an empty fact'


def test_extractors_read_the_cxx_tables():
    ha = EXTRACTORS['src/hooks/dhcp/high_availability/ha_config_parser.cc']
    assert ha['HA_CONFIG_DEFAULTS'](SAMPLE) == {
        'heartbeat-delay': 10000,
        'send-lease-updates': True,
        'wait-backup-ack': False,
    }
    assert ha['getAndValidateInteger'](SAMPLE) == {'heartbeat-delay': 'uint16_t', 'sync-timeout': 'uint32_t'}
    with pytest.raises(FactsError, match='no HA_CONFIG_LB_DEFAULTS table'):
        ha['HA_CONFIG_LB_DEFAULTS'](SAMPLE)
    parser4 = EXTRACTORS['src/lib/dhcpsrv/parsers/simple_parser4.cc']
    assert parser4['GLOBAL4_PARAMETERS'](SAMPLE) == ['subnet4', 'valid-lifetime']
    assert parser4['INHERIT_TO_SUBNET4'](SAMPLE) == ['rebind-timer', 'valid-lifetime']
    assert EXTRACTORS['src/bin/dhcp4/json_config_parser.cc']['config_pair.first'](SAMPLE) == ['hooks-libraries']


def test_missing_fact_names_the_command_that_adds_it():
    with pytest.raises(FactsError, match=r'no HA_CONFIG_DEFAULTS of Kea-9\.9\.9:.*--tag Kea-9\.9\.9'):
        kea_fact('Kea-9.9.9', 'src/hooks/dhcp/high_availability/ha_config_parser.cc', 'HA_CONFIG_DEFAULTS')
