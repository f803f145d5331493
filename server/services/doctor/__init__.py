"""`dreamfeed doctor`: the configuration, the database and the generator checked here, and
the public URL checked from outside as another server would reach it (findings.py: what is
reported; local.py: this machine; remote.py: the public URL)."""

from __future__ import annotations

from server.config import Config
from server.services.doctor.findings import Finding
from server.services.doctor.local import check_configuration, check_database, check_generator
from server.services.doctor.remote import Probe, check_public_url

__all__ = ["Finding", "Probe", "diagnose"]


async def diagnose(config: Config, probe: Probe) -> list[Finding]:
    findings = check_configuration(config)
    findings += await check_database(config)
    findings += await check_public_url(config, probe)
    findings += await check_generator(config, probe.timeout)
    return findings
