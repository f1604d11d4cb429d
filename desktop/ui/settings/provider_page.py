"""One provider's settings: key, address, model and voice, conversation, extras.

Lists start as the built-in ones; "Refresh lists" (and a key test that passes) loads the
provider's own where it has a list API. Opening Settings never reaches the network.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.catalog import Catalog, catalog_for, check_key, fetch_lists, static_catalog
from desktop.core.profiles import InvalidBaseUrl, ProviderProfile, validate_base_url
from desktop.core.secrets import KeyStore
from desktop.core.settings import AppSettings, ProviderSettings
from desktop.core.settings.schema import NO_AUTH_SCHEME
from desktop.ui.settings.features import SPEED, TEMPERATURE, features_for
from desktop.ui.settings.forms import add_row, combo_value, editable_combo, note_label, set_choices
from desktop.ui.settings.key_field import KeyField
from desktop.ui.settings.tasks import Tasks
from desktop.ui.settings.turn_section import TurnSection

log = logging.getLogger("talkline.ui.settings")

# What was loaded from a provider stays for this run: reopening Settings shows it at once.
_loaded: dict[tuple[str, str], Catalog] = {}


class ProviderPage(QWidget):
    def __init__(
        self, profile: ProviderProfile, ps: ProviderSettings, store: KeyStore, tasks: Tasks
    ) -> None:
        super().__init__()
        self.profile = profile
        self.features = features_for(profile)
        self._original = ps
        self._tasks = tasks
        self._has_lists = has_lists = bool(catalog_for(profile.id).lists)
        name = profile.name
        layout = QVBoxLayout(self)
        layout.addWidget(note_label(profile.description, f"About {name}"))

        self.key: KeyField | None = None
        if self.features.key:
            self.key = KeyField(profile, store, tasks)
            self.key.test_requested.connect(self._on_test_requested)
            layout.addWidget(_group("API key", self.key))

        # -- connection ------------------------------------------------------------------
        connection = QFormLayout()
        self.base_url = QLineEdit(ps.base_url)
        self.base_url.setPlaceholderText(profile.base_url)
        self.base_url_error = note_label("", f"{name} base URL problem")
        self.base_url_error.setStyleSheet("color: #b00020")
        self.auth_scheme: QComboBox | None = None
        self.auth_header: QLineEdit | None = None
        if self.features.base_url:
            holder = QWidget()
            column = QVBoxLayout(holder)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(self.base_url)
            column.addWidget(self.base_url_error)
            add_row(connection, "Base &URL:", self.base_url, name=f"{name} base URL",
                    container=holder,
                    help_text="Leave empty for the provider's own address. A proxy or "
                    "deployment must use https:// (http:// only to this computer).")
            self.base_url.textChanged.connect(self._check_base_url)
        if self.features.auth_schemes:
            self.auth_scheme = QComboBox()
            for scheme in self.features.auth_schemes:
                self.auth_scheme.addItem(scheme, scheme)
            current = ps.auth_scheme or profile.auth.scheme
            self.auth_scheme.setCurrentIndex(max(0, self.auth_scheme.findData(current)))
            add_row(connection, "Auth s&cheme:", self.auth_scheme, name=f"{name} auth scheme",
                    help_text="How the key is sent: 'Authorization: <scheme> <key>'.")
        if self.features.auth_header:
            self.auth_header = QLineEdit(ps.auth_header)
            self.auth_header.setPlaceholderText(profile.auth.header)
            add_row(connection, "Auth &header:", self.auth_header, name=f"{name} auth header",
                    help_text="The header that carries the key (Azure: api-key).")
            self.auth_scheme = editable_combo()
            for scheme in ("Bearer", "Basic", NO_AUTH_SCHEME):
                self.auth_scheme.addItem(scheme, scheme)
            self.auth_scheme.setEditText(ps.auth_scheme or profile.auth.scheme)
            add_row(connection, "Auth s&cheme:", self.auth_scheme, name=f"{name} auth scheme",
                    help_text="The word before the key in the header; "
                    f"\u201c{NO_AUTH_SCHEME}\u201d sends the key alone (Azure's api-key).")
        if connection.rowCount():
            layout.addWidget(_group("Connection", connection))

        # -- model and voice -------------------------------------------------------------
        voice = QFormLayout()
        self.model = editable_combo()
        self.voice = editable_combo()
        add_row(voice, "&Model:", self.model, name=f"{name} model")
        add_row(voice, "&Voice:", self.voice, name=f"{name} voice")
        if profile.builtin_server:  # the local check plays back your own voice: no choice
            voice.setRowVisible(self.voice, False)
        self.tts_model: QComboBox | None = None
        self.temperature_on: QCheckBox | None = None
        self.temperature: QDoubleSpinBox | None = None
        self.face: QComboBox | None = None
        self.motions: QComboBox | None = None
        if self.features.tts_model:
            self.tts_model = editable_combo()
            for model in profile.tts_models:
                self.tts_model.addItem(model, model)
            self.tts_model.setEditText(ps.tts_model or profile.tts_models[0])
            add_row(voice, "TTS mod&el:", self.tts_model, name=f"{name} speech (TTS) model")
        if self.features.temperature:
            self.temperature_on = QCheckBox("Set temperature")
            self.temperature_on.setAccessibleName(f"Set the {name} temperature")
            self.temperature = QDoubleSpinBox()
            self.temperature.setRange(TEMPERATURE.low, TEMPERATURE.high)
            self.temperature.setSingleStep(TEMPERATURE.step)
            self.temperature_on.setChecked(ps.temperature is not None)
            self.temperature.setValue(ps.temperature if ps.temperature is not None else 0.8)
            self.temperature.setEnabled(ps.temperature is not None)
            self.temperature_on.toggled.connect(self.temperature.setEnabled)
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(self.temperature_on)
            row.addWidget(self.temperature, 1)
            holder = QWidget()
            holder.setLayout(row)
            add_row(voice, "Temperature:", self.temperature, name=f"{name} temperature",
                    container=holder, help_text="Unset: the provider's default.")
        if self.features.avatar:
            self.face = editable_combo()
            self.motions = editable_combo()
            for combo in (self.face, self.motions):
                line = combo.lineEdit()
                assert line is not None  # editable_combo() is editable
                line.setPlaceholderText(f"{name}'s default")
            add_row(voice, "&Face:", self.face, name=f"{name} avatar face")
            add_row(voice, "M&otion:", self.motions, name=f"{name} avatar motions",
                    help_text="One motion, or several separated by commas; the last one loops.")
        self.lists_note = note_label("", f"{name} lists")
        self.refresh = QPushButton("Refresh &lists")
        self.refresh.setAccessibleName(f"Load the lists from {name}")
        self.refresh.clicked.connect(lambda: self._tasks.spawn(self.refresh_lists()))
        self.refresh.setVisible(has_lists)
        notes = QHBoxLayout()
        notes.addWidget(self.lists_note, 1)
        notes.addWidget(self.refresh)
        voice.addRow(notes)
        layout.addWidget(_group("Model and voice", voice))

        # -- conversation ----------------------------------------------------------------
        talk = QFormLayout()
        self.instructions = QPlainTextEdit(ps.instructions)
        self.instructions.setTabChangesFocus(True)  # Tab moves on, as in every other field
        self.instructions.setPlaceholderText("How the assistant should behave (optional)")
        self.instructions.setFixedHeight(90)
        add_row(talk, "&Instructions:", self.instructions, name=f"{name} instructions")
        self.turns = TurnSection(talk, name)
        self.turns.read(ps)
        self.transcription_model = editable_combo()
        for model in profile.transcription_models:
            self.transcription_model.addItem(model, model)
        self.transcription_model.setEditText(
            ps.transcription_model or (profile.transcription_models or ("",))[0]
        )
        add_row(talk, "Transcription mo&del:", self.transcription_model,
                name=f"{name} transcription model",
                help_text="Writes down what you say for the transcript.")
        self.language = QLineEdit(ps.transcription_language)
        self.language.setPlaceholderText("automatic (or a code such as en, de, fr)")
        add_row(talk, "Lan&guage:", self.language, name=f"{name} transcription language")
        self.speed = QDoubleSpinBox()
        self.speed.setRange(SPEED.low, SPEED.high)
        self.speed.setSingleStep(SPEED.step)
        self.speed.setSuffix("×")
        self.speed.setValue(ps.speed)
        add_row(talk, "Speech speed:", self.speed, name=f"{name} speech speed")
        self.text_only = QCheckBox("Answer in text only (no voice)")
        self.text_only.setChecked(ps.output_text_only)
        self.text_only.setAccessibleName(f"{name}: answer in text only")
        talk.addRow("", self.text_only)
        layout.addWidget(_group("Conversation", talk))
        layout.addStretch(1)

        self.apply_catalog(_loaded.get(self._catalog_key()) or self._initial_catalog(has_lists))
        self._check_base_url()

    # -- values ---------------------------------------------------------------------------

    def values(self) -> ProviderSettings:
        """The page as settings; fields it does not show keep their old values."""
        p = self.profile
        ps = replace(self._original)
        ps.base_url = self.base_url.text().strip() if self.features.base_url else ps.base_url
        ps.model = _unless(combo_value(self.model), p.default_model)
        ps.voice = _unless(combo_value(self.voice), p.default_voice)
        ps.instructions = self.instructions.toPlainText()
        self.turns.write(ps)
        ps.transcription_model = _unless(
            combo_value(self.transcription_model), (p.transcription_models or ("",))[0]
        )
        ps.transcription_language = self.language.text().strip()
        ps.speed = round(self.speed.value(), 2)
        ps.output_text_only = self.text_only.isChecked()
        if self.auth_header is not None:
            ps.auth_header = _unless(self.auth_header.text().strip(), p.auth.header)
        if self.auth_scheme is not None:
            ps.auth_scheme = _unless(self.auth_scheme.currentText().strip(), p.auth.scheme)
        if self.tts_model is not None:
            ps.tts_model = _unless(combo_value(self.tts_model), p.tts_models[0])
        if self.temperature is not None and self.temperature_on is not None:
            on = self.temperature_on.isChecked()
            ps.temperature = round(self.temperature.value(), 2) if on else None
        if self.face is not None and self.motions is not None:
            ps.face = combo_value(self.face)
            ps.driving = combo_value(self.motions)
        return ps

    def base_url_problem(self) -> str:
        """The sentence saying why the typed base URL will not be used, or ""."""
        text = self.base_url.text().strip()
        if not text or not self.features.base_url:
            return ""
        try:
            validate_base_url(text)
        except InvalidBaseUrl as exc:
            return str(exc)
        return ""

    def current_profile(self) -> ProviderProfile:
        """The profile as the page now stands (base URL, auth). Raises InvalidBaseUrl."""
        return AppSettings(providers={self.profile.id: self.values()}).profile(self.profile.id)

    # -- lists ----------------------------------------------------------------------------

    def apply_catalog(self, catalog: Catalog) -> None:
        p, ps = self.profile, self._original
        set_choices(self.model, catalog.models, _current(self.model, ps.model or p.default_model))
        set_choices(self.voice, catalog.voices, _current(self.voice, ps.voice or p.default_voice))
        if self.face is not None and self.motions is not None:
            set_choices(self.face, catalog.faces, _current(self.face, ps.face))
            set_choices(self.motions, catalog.motions, _current(self.motions, ps.driving))
        self.lists_note.setText(catalog.note)

    async def refresh_lists(self) -> None:
        try:
            profile = self.current_profile()
        except InvalidBaseUrl as exc:
            self.lists_note.setText(str(exc))
            return
        self.refresh.setEnabled(False)
        self.lists_note.setText(f"Loading the lists from {self.profile.name}…")
        # Neither call raises (cancellation aside, when the dialog is gone): no `finally`
        # that would touch widgets Qt may already have deleted.
        key = await self.key.current_key() if self.key is not None else None
        catalog = await fetch_lists(profile, key)
        self.refresh.setEnabled(True)
        if catalog.source == "provider":
            _loaded[self._catalog_key()] = catalog
        self.apply_catalog(catalog)

    def _on_test_requested(self) -> None:
        if self.key is not None:
            self.key.show_testing()  # at once: the answer may take a while
            self._tasks.spawn(self.test_key())

    async def test_key(self) -> None:
        if self.key is None:
            return
        try:
            profile = self.current_profile()
        except InvalidBaseUrl as exc:
            self.base_url.setFocus()
            self.key.show_test_problem(str(exc))
            return
        key = await self.key.current_key()
        result = await check_key(profile, key)
        self.key.show_test(result)
        if result.ok and self._has_lists:
            await self.refresh_lists()

    # -- internals ------------------------------------------------------------------------

    def _initial_catalog(self, has_lists: bool) -> Catalog:
        if has_lists:
            return static_catalog(
                self.profile,
                f"Built-in lists. Refresh to load {self.profile.name}'s own (needs the key).",
            )
        return static_catalog(self.profile, "Built-in lists.")

    def _catalog_key(self) -> tuple[str, str]:
        return (self.profile.id, self.base_url.text().strip() or self.profile.base_url)

    def _check_base_url(self) -> None:
        problem = self.base_url_problem()
        self.base_url_error.setText(problem)
        self.base_url_error.setVisible(bool(problem))
        self.base_url.setAccessibleDescription(problem)


def _group(title: str, content: QWidget | QFormLayout) -> QGroupBox:
    box = QGroupBox(title)
    if isinstance(content, QWidget):
        inner = QVBoxLayout(box)
        inner.addWidget(content)
    else:
        box.setLayout(content)
    return box


def _unless(value: str, default: str) -> str:
    """"" (follow the profile's default) when the value is that default."""
    return "" if value == default else value


def _current(combo: QComboBox, fallback: str) -> str:
    """Keep what the person has chosen or typed across a list refresh."""
    return combo_value(combo) if combo.currentText().strip() else fallback
