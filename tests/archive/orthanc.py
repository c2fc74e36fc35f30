"""A real Orthanc (Debian packages ``orthanc`` + ``orthanc-dicomweb``) for the archive tests.

One server per test session, on loopback, with temporary storage and free HTTP and DICOM
ports, the DICOMweb plugin loaded. :meth:`OrthancServer.clear` empties it between tests.
A missing binary or plugin fails the test (``.ci/run`` installs both); it never skips.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

#: where the Debian package ``orthanc-dicomweb`` puts the plugin (``dpkg -L orthanc-dicomweb``)
PLUGIN_CANDIDATES = (
    Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so"),
    Path("/usr/lib/orthanc/libOrthancDicomWeb.so.1.7"),
)
AE_TITLE = "ORTHANC"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class OrthancServer:
    """A running Orthanc: its REST root, DICOMweb root and DICOM port."""

    process: subprocess.Popen[bytes]
    http_port: int
    dicom_port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb(self) -> str:
        return f"{self.url}/dicom-web"

    def get(self, path: str) -> Any:
        response = requests.get(self.url + path, timeout=30)
        response.raise_for_status()
        return response.json()

    def clear(self) -> None:
        """Delete every patient (and so every study, series, instance)."""
        for patient in self.get("/patients"):
            requests.delete(f"{self.url}/patients/{patient}", timeout=60).raise_for_status()

    def instance_count(self) -> int:
        return int(self.get("/statistics")["CountInstances"])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - Orthanc stops on SIGTERM
            self.process.kill()
            self.process.wait(timeout=30)


def _plugin() -> Path:
    for path in PLUGIN_CANDIDATES:
        if path.exists():
            return path
    pytest.fail("the Orthanc DICOMweb plugin is not installed (Debian package orthanc-dicomweb)")


def start_orthanc(workdir: Path, timeout: float = 60.0) -> OrthancServer:
    binary = shutil.which("Orthanc") or next(
        (p for p in ("/usr/sbin/Orthanc", "/usr/bin/Orthanc") if Path(p).exists()), None
    )
    if binary is None:
        pytest.fail("Orthanc is not installed (Debian package orthanc; .ci/run installs it)")
    plugin = _plugin()
    storage = workdir / "storage"
    storage.mkdir(parents=True)
    http_port, dicom_port = free_port(), free_port()
    config = {
        "Name": "dosewatch-test",
        "StorageDirectory": str(storage),
        "IndexDirectory": str(storage),
        "HttpPort": http_port,
        "DicomPort": dicom_port,
        "DicomAet": AE_TITLE,
        "DicomCheckCalledAet": False,
        "DicomAlwaysAllowStore": True,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "HttpServerEnabled": True,
        "SslEnabled": False,
        "Plugins": [str(plugin)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False},
        "StableAge": 1,
        "SaveJobs": False,
    }
    config_path = workdir / "orthanc.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    log = workdir / "orthanc.log"
    with log.open("wb") as out:
        process = subprocess.Popen([binary, str(config_path)], stdout=out, stderr=subprocess.STDOUT)
    server = OrthancServer(process, http_port, dicom_port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Orthanc exited at start: {log.read_text(errors='replace')[-2000:]}")
        try:
            plugins = server.get("/plugins")
        except requests.RequestException:
            time.sleep(0.2)
            continue
        if "dicom-web" not in plugins:
            server.stop()
            pytest.fail(f"Orthanc started without the DICOMweb plugin: {plugins}")
        return server
    server.stop()
    pytest.fail(f"Orthanc not ready after {timeout}s: {log.read_text(errors='replace')[-2000:]}")
