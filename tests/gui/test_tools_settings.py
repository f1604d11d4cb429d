"""Settings → Tools: built-ins, the always-allowed list with undo, MCP servers (pytest-qt)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt

from desktop.core.secrets import KeyStore
from desktop.core.settings import AppSettings
from desktop.ui.settings.dialog import SettingsDialog
from desktop.ui.settings_store import load_settings, save_settings

TOOLBOX = str(Path(__file__).resolve().parents[1] / "mcp_servers" / "toolbox.py")


def test_tools_page_edits_round_trip_through_the_settings_file(
    gui, qtbot, keystore: KeyStore, keyring_memory, tmp_path: Path
) -> None:
    settings = AppSettings()
    settings.tools.always_allowed = ["open_url", "box__add"]
    dialog = SettingsDialog(settings, keystore)
    qtbot.addWidget(dialog)
    page = dialog.tools
    page.builtins["read_clipboard"].setChecked(False)
    page.folder.setText(str(tmp_path))
    page.allowed.setCurrentRow(0)
    qtbot.mouseClick(page.remove_allowed, Qt.MouseButton.LeftButton)
    assert [page.allowed.item(i).text() for i in range(page.allowed.count())] == ["box__add"]
    qtbot.mouseClick(page.undo_allowed, Qt.MouseButton.LeftButton)
    page.allowed.setCurrentRow(1)
    qtbot.mouseClick(page.remove_allowed, Qt.MouseButton.LeftButton)
    page.paste.setPlainText(json.dumps({"mcpServers": {
        "box": {"command": sys.executable, "args": [TOOLBOX]},
        "web": {"url": "https://mcp.example.org/mcp",
                "headers": {"Authorization": "Bearer secret-token-123"}}}}))
    qtbot.mouseClick(page.add_servers, Qt.MouseButton.LeftButton)
    gui.until(lambda: page.servers.count() == 2, "the pasted servers")
    assert "Added box, web" in page.server_result.text()
    page.servers.item(1).setCheckState(Qt.CheckState.Unchecked)  # web: off

    values = dialog.values().tools
    assert values.disabled_builtins == ["read_clipboard"]
    assert values.always_allowed == ["open_url"]
    assert values.folder == str(tmp_path)
    assert values.mcp_servers["web"]["headers"]["Authorization"] == "@keyring"
    assert values.mcp_servers["web"]["disabled"] is True
    assert "Bearer secret-token-123" in keyring_memory.passwords.values()

    qs = QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat)
    saved = AppSettings()
    saved.tools = values
    assert save_settings(saved, qs) is None
    assert "secret-token-123" not in (tmp_path / "t.ini").read_text()
    loaded, problems = load_settings(qs)
    assert not problems and loaded.tools == values


def test_test_connection_lists_the_servers_tools_or_says_why_not(
    gui, qtbot, keystore: KeyStore
) -> None:
    settings = AppSettings()
    settings.tools.mcp_servers = {
        "box": {"command": sys.executable, "args": [TOOLBOX]},
        "gone": {"command": "/nonexistent/server"},
    }
    dialog = SettingsDialog(settings, keystore)
    qtbot.addWidget(dialog)
    page = dialog.tools
    page.servers.setCurrentRow(0)
    qtbot.mouseClick(page.test_server, Qt.MouseButton.LeftButton)
    gui.until(lambda: "works" in page.server_result.text(), "the test of box", seconds=30)
    assert "add" in page.server_result.text() and "shout" in page.server_result.text()
    gui.until(lambda: page.test_server.isEnabled(), "the test to end")
    page.servers.setCurrentRow(1)
    qtbot.mouseClick(page.test_server, Qt.MouseButton.LeftButton)
    gui.until(lambda: "could not be used" in page.server_result.text(), "the failed test",
              seconds=30)
    assert page.server_result.textFormat() != Qt.TextFormat.RichText
    gui.until(lambda: page.test_server.isEnabled(), "the test to end")
