"""The window's tools follow its settings: what Settings ▸ Tools switches off is no longer
offered to the model, from the next session update on."""

from __future__ import annotations

import copy

from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import connect


def declared(window) -> set[str]:  # noqa: ANN001
    tools = window.controller.session.tools
    return {d["name"] for d in tools.registry.declarations()}


def test_a_builtin_switched_off_in_settings_is_no_longer_offered(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window()
    assert "get_current_time" in declared(window)
    connect(gui, window)
    call = window.controller.call
    assert call is not None
    assert any(t["name"] == "get_current_time" for t in call.config.tools)

    settings = copy.deepcopy(window.settings)
    settings.tools.disabled_builtins = ["get_current_time"]
    gui.do(lambda: window.apply_settings(settings))
    gui.until(lambda: "get_current_time" not in declared(window), "the new tools")
    gui.until(
        lambda: all(t["name"] != "get_current_time" for t in call.config.tools),
        "the call's session to follow",
    )
    assert "copy_to_clipboard" in {t["name"] for t in call.config.tools}
