"""Python modules the bundle leaves out; pyinstaller.spec reads `EXCLUDED` from here.

Nothing in Talkline imports them, but something on the import graph names them (numpy's
lazy attributes, qasync's fallbacks, PySide6's module list), so PyInstaller would collect
them. tests/integration/test_selftest.py fails if `desktop/` starts using one: add it back
here rather than ship a bundle that breaks only when frozen.
"""

QT_UNUSED = (
    "QtNetwork", "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic",
    "Qt3DRender", "QtBluetooth", "QtCharts", "QtConcurrent", "QtDataVisualization", "QtDesigner",
    "QtGraphs", "QtGraphsWidgets", "QtHelp", "QtHttpServer", "QtLocation", "QtMultimedia",
    "QtMultimediaWidgets", "QtNetworkAuth", "QtNfc", "QtOpenGL", "QtOpenGLWidgets", "QtPdf",
    "QtPdfWidgets", "QtPositioning", "QtPrintSupport", "QtQml", "QtQuick", "QtQuick3D",
    "QtQuickControls2", "QtQuickWidgets", "QtRemoteObjects", "QtScxml", "QtSensors",
    "QtSerialBus", "QtSerialPort", "QtSpatialAudio", "QtSql", "QtStateMachine", "QtSvgWidgets",
    "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel", "QtWebEngineCore",
    "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtWebView", "QtXml",
)

# numpy 2 imports these on first attribute access only; the app uses none (about 3.5 MB).
NUMPY_UNUSED = (
    "numpy.f2py", "numpy.testing", "numpy.random", "numpy.fft", "numpy.polynomial",
)

OTHER_UNUSED = (
    "PyQt5", "PyQt6", "PySide2",  # qasync tries each binding
    "tkinter", "unittest", "pydoc", "doctest", "lib2to3", "test", "setuptools", "pip",
    "IPython", "matplotlib", "pytest", "hypothesis",
    "livekit.rtc.jupyter",
    # pydantic's mypy plugin (collected with pydantic's submodules) pulls in mypy, its
    # compiled modules and ast_serialize: a type checker, never run by the app (3.5 MB).
    "pydantic.mypy", "mypy", "mypyc", "ast_serialize",
)

EXCLUDED = tuple(f"PySide6.{m}" for m in QT_UNUSED) + NUMPY_UNUSED + OTHER_UNUSED
