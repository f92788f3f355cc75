"""The `media-impact` dispatcher: every listed command resolves to a real module."""
import importlib.util

import pytest

from media_impact import cli


def test_every_command_points_at_an_importable_module():
    for name, (module, _) in cli.COMMANDS.items():
        assert importlib.util.find_spec(module) is not None, (name, module)


def test_help_exits_zero_and_unknown_command_exits_two(capsys):
    with pytest.raises(SystemExit) as ok:
        cli.main(["--help"])
    assert ok.value.code == 0 and "generate" in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad:
        cli.main(["no-such-command"])
    assert bad.value.code == 2
