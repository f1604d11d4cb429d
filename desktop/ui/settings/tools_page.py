"""Settings → Tools: built-in tools on/off, the shared folder, always-allowed tools (with
undo), and MCP servers (paste a JSON block, enable, remove, test the connection).

Secret header values of pasted servers go to the keyring at once; the page keeps
``@keyring`` in their place, so the settings never hold them.
"""

from __future__ import annotations

import asyncio
import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.profiles import BUILTIN_PROFILES
from desktop.core.secrets import KeyStore
from desktop.core.settings.schema import ToolSettings
from desktop.core.tools.builtin import DesktopHooks, builtin_tools
from desktop.core.tools.mcp import McpHub, ServerState
from desktop.core.tools.mcp_config import (
    McpServerConfig,
    parse_json_text,
    parse_servers,
    stash_secrets,
    to_mcp_servers,
)
from desktop.core.tools.registry import ToolRegistry
from desktop.ui.settings.forms import add_row, note_label
from desktop.ui.settings.tasks import Tasks

TEST_TIMEOUT = 15.0


class ToolsPage(QWidget):
    def __init__(self, settings: ToolSettings, keystore: KeyStore, tasks: Tasks) -> None:
        super().__init__()
        self._store = keystore
        self._tasks = tasks
        self._removed: list[tuple[int, str]] = []  # (row, name) removed, newest last (undo)
        servers, _problems = parse_servers(settings.mcp_servers)
        self._servers: dict[str, McpServerConfig] = {s.name: s for s in servers}

        self.enabled = QCheckBox("&Let the assistant use tools")
        self.enabled.setChecked(settings.enabled)
        self.enabled.setAccessibleName("Let the assistant use tools")
        unsupported = [f"{p.name}: {p.tools_unsupported_reason}"
                       for p in BUILTIN_PROFILES.values() if not p.supports_tools]
        self.unsupported = note_label(
            "Tools are not offered with " + "; ".join(unsupported) if unsupported else "",
            "Providers without tools")

        # -- built-in tools -------------------------------------------------------------
        self.builtins: dict[str, QCheckBox] = {}
        builtin_box = QVBoxLayout()
        for tool in builtin_tools(DesktopHooks()):
            box = QCheckBox(f"{tool.name} — {tool.description}")
            box.setChecked(tool.name not in settings.disabled_builtins)
            box.setAccessibleName(f"Built-in tool {tool.name}")
            self.builtins[tool.name] = box
            builtin_box.addWidget(box)
        folder_form = QFormLayout()
        self.folder = QLineEdit(settings.folder)
        self.folder.setPlaceholderText("No folder: file tools say so")
        self.choose_folder = QPushButton("&Browse…")
        self.choose_folder.clicked.connect(self._choose_folder)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.folder, 1)
        row_layout.addWidget(self.choose_folder)
        add_row(folder_form, "&Folder for file tools:", self.folder, container=row,
                name="Folder for file tools",
                help_text="list_files and read_text_file can read this folder and nothing "
                "outside it.")
        builtin_box.addLayout(folder_form)

        # -- always allowed -------------------------------------------------------------
        self.allowed = QListWidget()
        self.allowed.setAccessibleName("Always-allowed tools")
        self.allowed.addItems(settings.always_allowed)
        self.remove_allowed = QPushButton("Ask a&gain")
        self.remove_allowed.setAccessibleName("Ask again before the selected tool runs")
        self.remove_allowed.clicked.connect(self._remove_allowed)
        self.undo_allowed = QPushButton("&Undo")
        self.undo_allowed.setEnabled(False)
        self.undo_allowed.clicked.connect(self._undo_allowed)
        allowed_box = QVBoxLayout()
        allowed_box.addWidget(self.allowed)
        allowed_buttons = QHBoxLayout()
        allowed_buttons.addWidget(self.remove_allowed)
        allowed_buttons.addWidget(self.undo_allowed)
        allowed_buttons.addStretch(1)
        allowed_box.addLayout(allowed_buttons)

        # -- MCP servers ----------------------------------------------------------------
        self.servers = QListWidget()
        self.servers.setAccessibleName("MCP servers (checked ones start with Talkline)")
        self.paste = QPlainTextEdit()
        self.paste.setPlaceholderText('{"mcpServers": {"files": {"command": "npx", "args": '
                                      '["-y", "@modelcontextprotocol/server-filesystem", '
                                      '"/home/me/shared"]}}}')
        self.paste.setMaximumHeight(90)
        self.add_servers = QPushButton("A&dd from JSON")
        self.add_servers.clicked.connect(self._add_from_json)
        self.remove_server = QPushButton("Re&move")
        self.remove_server.clicked.connect(self._remove_server)
        self.test_server = QPushButton("Te&st connection")
        self.test_server.clicked.connect(self._test_selected)
        self.server_result = note_label("", "MCP server test result")
        mcp_box = QVBoxLayout()
        mcp_box.addWidget(self.servers)
        server_buttons = QHBoxLayout()
        for button in (self.test_server, self.remove_server):
            server_buttons.addWidget(button)
        server_buttons.addStretch(1)
        mcp_box.addLayout(server_buttons)
        mcp_box.addWidget(self.server_result)
        paste_form = QFormLayout()
        add_row(paste_form, "&JSON to add:", self.paste, name="MCP servers as JSON",
                help_text='Paste a {"mcpServers": {...}} block, as other MCP clients use. '
                "Secret header values go to the keyring.")
        mcp_box.addLayout(paste_form)
        mcp_box.addWidget(self.add_servers)
        self._fill_servers(set(self._servers), settings)

        layout = QVBoxLayout(self)
        layout.addWidget(self.enabled)
        if unsupported:
            layout.addWidget(self.unsupported)
        for title, content in (("Built-in tools", builtin_box),
                               ("Always allowed (no prompt)", allowed_box),
                               ("MCP servers", mcp_box)):
            group = QGroupBox(title)
            group.setLayout(content)
            layout.addWidget(group)
        layout.addStretch(1)

    # -- values ---------------------------------------------------------------------------

    def values(self) -> ToolSettings:
        servers = []
        for i in range(self.servers.count()):
            item = self.servers.item(i)
            config = self._servers[item.data(Qt.ItemDataRole.UserRole)]
            enabled = item.checkState() == Qt.CheckState.Checked
            servers.append(McpServerConfig(
                name=config.name, command=config.command, args=config.args, env=config.env,
                url=config.url, headers=config.headers, enabled=enabled))
        return ToolSettings(
            enabled=self.enabled.isChecked(),
            disabled_builtins=[n for n, box in self.builtins.items() if not box.isChecked()],
            always_allowed=[self.allowed.item(i).text() for i in range(self.allowed.count())],
            folder=self.folder.text().strip(),
            mcp_servers=to_mcp_servers(servers)["mcpServers"],
        )

    # -- always allowed -----------------------------------------------------------------

    def _remove_allowed(self) -> None:
        item = self.allowed.currentItem()
        if item is None:
            return
        row = self.allowed.row(item)
        self._removed.append((row, item.text()))
        self.allowed.takeItem(row)
        self.undo_allowed.setEnabled(True)

    def _undo_allowed(self) -> None:
        if self._removed:
            row, name = self._removed.pop()
            self.allowed.insertItem(row, name)
        self.undo_allowed.setEnabled(bool(self._removed))

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder the file tools may read",
                                                  self.folder.text())
        if folder:
            self.folder.setText(folder)

    # -- MCP servers --------------------------------------------------------------------

    def _fill_servers(self, names: set[str], settings: ToolSettings | None = None) -> None:
        existing = {self.servers.item(i).data(Qt.ItemDataRole.UserRole)
                    for i in range(self.servers.count())}
        for name in sorted(names - existing):
            config = self._servers[name]
            where = " ".join([config.command or "", *config.args]) if config.command else (
                config.url or "")
            item = QListWidgetItem(f"{name} — {where}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if config.enabled
                               else Qt.CheckState.Unchecked)
            self.servers.addItem(item)

    def _add_from_json(self) -> None:
        servers, problems = parse_json_text(self.paste.toPlainText())
        if servers:
            self._tasks.spawn(self._keep(servers, problems))
        else:
            self.server_result.setText(" ".join(problems) or "No servers in that JSON.")

    async def _keep(self, servers: list[McpServerConfig], problems: list[str]) -> None:
        try:
            kept = await asyncio.to_thread(stash_secrets, servers, self._store)
        except Exception as exc:  # a keyring library error: nothing secret stays around
            self.server_result.setText(
                f"The servers were not added: their secret headers could not be stored "
                f"({type(exc).__name__}).")
            return
        for server in kept:
            self._servers[server.name] = server
            for i in range(self.servers.count()):
                if self.servers.item(i).data(Qt.ItemDataRole.UserRole) == server.name:
                    self.servers.takeItem(i)  # replaced by the pasted one
                    break
        self._fill_servers({s.name for s in kept})
        self.paste.clear()
        added = ", ".join(s.name for s in kept)
        self.server_result.setText(" ".join([f"Added {added}.", *problems]))

    def _remove_server(self) -> None:
        item = self.servers.currentItem()
        if item is not None:
            self._servers.pop(item.data(Qt.ItemDataRole.UserRole), None)
            self.servers.takeItem(self.servers.row(item))

    def _test_selected(self) -> None:
        item = self.servers.currentItem()
        if item is None:
            self.server_result.setText("Select a server to test.")
            return
        config = self._servers[item.data(Qt.ItemDataRole.UserRole)]
        self.server_result.setText(f"Testing {config.name}…")
        self.test_server.setEnabled(False)
        self._tasks.spawn(self._test(config))

    async def _test(self, config: McpServerConfig) -> None:
        hub = McpHub(ToolRegistry(), [McpServerConfig(
            name=config.name, command=config.command, args=config.args, env=config.env,
            url=config.url, headers=config.headers)], secrets=self._store,
            start_timeout=TEST_TIMEOUT)
        notes: list[str] = []
        hub.notice.connect(notes.append)
        try:
            hub.start()
            await hub.wait_started()
            status = hub.statuses[0]
            if status.state is ServerState.READY:
                tools = [t.title or t.name for t in hub.registry.all()]
                self.server_result.setText(
                    f"{config.name} works: {len(tools)} tool(s): {', '.join(tools) or 'none'}.")
            else:
                self.server_result.setText(status.error or " ".join(notes))
        finally:
            await hub.stop()
            self.test_server.setEnabled(True)


def servers_json(settings: ToolSettings) -> str:
    """The configured servers as a pasteable block (for copying elsewhere)."""
    return json.dumps({"mcpServers": settings.mcp_servers}, indent=2)
