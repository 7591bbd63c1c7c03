"""Where the shipped policies are: `policies/` (default.yaml, deliver-only.yaml, examples/).

The folder is the one compliance officers read in the source tree; the wheel installs it as the
data-only package `policies` beside `gateway`, so an installed gateway finds the same files.

Sites never edit them; a site policy lives in the site's own folder. A configured path such as
`policies/default.yaml` (the documented name, and the default `policy_file`) names the shipped file
of that name when no such file exists relative to the working directory, so it works the same
from a checkout, an installed wheel or a container.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

# The folder name configs and docs use for the shipped policies.
ALIAS = "policies"


def shipped_root() -> Path:
    """The installed `policies` folder (the source tree's, in a checkout or editable install)."""
    spec = find_spec(ALIAS)
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "default.yaml").is_file():
            return Path(location)
    raise FileNotFoundError("the shipped policies (package 'policies') are not installed")


def resolve(path: Path) -> Path:
    """A relative `policies/...` path that does not exist here, as the shipped file of that name.

    Any other path comes back unchanged, so a site's own `policies/local.yaml` beside the config
    wins, and a missing file is still reported under the name the config gave.
    """
    if path.is_absolute() or path.exists() or path.parts[:1] != (ALIAS,):
        return path
    candidate = shipped_root().joinpath(*path.parts[1:])
    return candidate if candidate.exists() else path
