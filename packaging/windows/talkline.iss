; Inno Setup 6 script: the Talkline installer for Windows (64-bit), from the PyInstaller bundle.
;
;   iscc /DDistDir=C:\talkline-build\dist\Talkline /DAppVersion=0.1.0 ^
;        /OC:\talkline-build packaging\windows\talkline.iss
;
; Installs to Program Files (or, if the user picks "only for me", to their own profile, no
; admin rights needed), adds a Start-menu entry, an optional desktop icon, and an uninstaller
; (Settings > Apps). Settings and logs in %APPDATA%\Talkline stay on uninstall; keys live in
; Windows Credential Manager, never in files. Steps: packaging/windows/README.md.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef DistDir
  #define DistDir "..\..\dist\Talkline"
#endif

[Setup]
; The AppId identifies Talkline for upgrades and uninstall: never change it.
AppId={{3F51CAD2-8ED8-4E37-BDD7-93A9C228599F}
AppName=Talkline
AppVersion={#AppVersion}
AppVerName=Talkline {#AppVersion}
AppPublisher=Talkline
DefaultDirName={autopf}\Talkline
DefaultGroupName=Talkline
DisableProgramGroupPage=yes
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SetupIconFile=..\..\resources\icons\talkline.ico
UninstallDisplayIcon={app}\Talkline.exe
UninstallDisplayName=Talkline
OutputBaseFilename=Talkline-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle: Talkline.exe (the window), talkline-cli.exe (the command line,
; e.g. `talkline-cli --self-test`) and _internal\.
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Talkline"; Filename: "{app}\Talkline.exe"
Name: "{autodesktop}\Talkline"; Filename: "{app}\Talkline.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\Talkline.exe"; Description: "{cm:LaunchProgram,Talkline}"; Flags: nowait postinstall skipifsilent

